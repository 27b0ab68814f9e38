import Artifacts
import Foundation
import PostgresNIO
import PostgresTestSupport
import Testing

@testable import JobQueue

/// A worker whose database goes away (docs/job_queue.md, "When the database goes away"), on a
/// server of the test's own that it stops and starts (the shared one serves the other tests).
@Suite("Job queue worker, database away")
struct QueueOutageTests {
  /// Runs `body` with a server of its own, a queue on a database there, and worker options
  /// that notice an outage in half a second; off the cooperative pool.
  func withOwnServer<T>(
    _ body: (TestPostgresServer, JobQueue, WorkerOptions) async throws -> T
  ) async throws -> T {
    try await offThePool {
      let server = try await TestPostgres.ownServer()
      let url = try DatabaseURL(try await server.database())
      var options = workerOptions()
      options.databaseAttemptSeconds = 0.5
      return try await JobQueue.withQueue(url: url, logger: quiet) { queue in
        try await body(server, queue, options)
      }
    }
  }

  /// What `worker.run()` throws; nil when it returns.
  static func failure(of worker: QueueWorker) async -> (any Error)? {
    do {
      _ = try await worker.run()
      return nil
    } catch {
      return error
    }
  }

  @Test("a job that ends while the database is down is recorded once it is back: first attempt")
  func endsWhileDown() async throws {
    try await withOwnServer { server, queue, options in
      let id = try await queue.submit(submission("ep-outage")).job.id
      let gate = FakeRunner.Gate()
      let log = LogRecorder()
      let worker = QueueWorker(
        queue: queue, options: options, runner: FakeRunner(behaviour: .succeedWhenOpened(gate)),
        logger: log.logger)
      // A child task: it runs off the cooperative pool too (leases and heartbeats are timing).
      async let run = worker.run()
      _ = try await eventually("the job to run with progress") {
        try await queue.job(id).flatMap { $0.progress != nil ? $0 : nil }
      }
      try await server.stop()
      // The heartbeat meets the database away and is retried; the job runs on.
      _ = try await eventually("a heartbeat to be retried") {
        log.lines(containing: "database unreachable (job queue: renewing the lease of job \(id)")
          .first
      }
      gate.open()
      _ = try await eventually("the finish to be retried") {
        log.lines(containing: "database unreachable (job queue: finishing job \(id)").first
      }
      try await server.start()
      let summary = try await run
      #expect(summary.succeeded == 1 && summary.lost == 0, "\(summary)\n\(log.text)")
      let job = try #require(try await queue.job(id))
      #expect(job.state == .succeeded && job.attempts == 1, "\(job)")
      #expect(!log.lines(containing: "database reachable again after").isEmpty, "\(log.text)")
      #expect(log.lines(containing: "giving up:").isEmpty, "\(log.text)")
    }
  }

  @Test("away past the time-out: the worker gives up; its job comes back when the lease expires")
  func givesUp() async throws {
    try await withOwnServer { server, queue, options in
      let id = try await queue.submit(submission("ep-abandoned")).job.id
      var options = options
      options.databaseTimeoutSeconds = 2
      options.leaseSeconds = 3
      let log = LogRecorder()
      let worker = QueueWorker(
        queue: queue, options: options, runner: FakeRunner(behaviour: .runUntilStopped),
        logger: log.logger)
      async let failure = Self.failure(of: worker)
      _ = try await eventually("the job to run") {
        try await queue.job(id).flatMap { $0.state == .running ? $0 : nil }
      }
      try await server.stop()
      // From the moment the server is down: `pg_ctl stop` itself can take seconds on CI's
      // loaded cores.
      let stopped = ContinuousClock.now
      let error = await failure as? JobQueueError
      let elapsed = stopped.duration(to: .now)
      guard case .databaseGone(let url, let waited, let limit, _) = error else {
        Issue.record("\(String(describing: error))\n\(log.text)")
        return
      }
      #expect(url == queue.url.description && limit == .seconds(2))
      // Two seconds without an answer (`waited`, the worker's own count), then the job stopped
      // at its next batch (5 ms here); the bound allows for a loaded machine.
      #expect(waited >= .seconds(2) && elapsed < .seconds(20), "\(waited), \(elapsed)")
      #expect(!log.lines(containing: "; retrying in ").isEmpty, "\(log.text)")
      #expect(!log.lines(containing: "left running in the queue").isEmpty, "\(log.text)")

      try await server.start()
      let left = try #require(try await queue.job(id))
      #expect(left.state == .running && left.attempts == 1, "\(left)")
      #expect(left.worker?.hasPrefix(options.name + ":") == true, "\(left)")
      let (job, _) = try await eventually("another worker to claim it once the lease expires") {
        try await queue.claim(worker: "other", leaseSeconds: 60)
      }
      #expect(job.id == id && job.attempts == 2, "\(job)")
      #expect(job.error?.contains("\(options.name):1 lost its lease on attempt 1") == true)
    }
  }

  @Test("a statement the database refuses is not retried: the worker stops with its error")
  func refusedStatement() async throws {
    try await withFreshQueue { queue in
      _ = try await queue.submit(submission("ep-refused"))
      try await queue.client.query("ALTER TABLE faceharvest.jobs RENAME TO jobs_elsewhere")
      let log = LogRecorder()
      let worker = QueueWorker(
        queue: queue, options: workerOptions(exitWhenIdle: false),
        runner: FakeRunner(behaviour: .succeed), logger: log.logger)
      let error = await #expect(throws: JobQueueError.self) { try await worker.run() }
      guard case .database(let operation, let detail) = error else {
        Issue.record("\(String(describing: error))")
        return
      }
      #expect(operation == "ending jobs whose lease expired" && detail.contains("42P01"))
      #expect(log.lines(containing: "database unreachable").isEmpty, "\(log.text)")
    }
  }
}
