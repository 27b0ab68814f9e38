import Artifacts
import Foundation
import PostgresTestSupport
import Testing
import ThreadPrimitives

@testable import JobQueue

/// A stand-in for the pipeline: reports progress, then succeeds, throws, runs until it is
/// asked to stop (polling between "batches", as the stages do), or succeeds once a gate opens.
struct FakeRunner: QueueJobRunner {
  enum Behaviour: Sendable {
    case succeed
    case fail(String)
    case runUntilStopped
    case succeedWhenOpened(Gate)
  }

  /// A flag a test raises when a job may end.
  final class Gate: Sendable {
    private let state = Locked(false)
    init() {}
    func open() { state.withLock { $0 = true } }
    var isOpen: Bool { state.withLock { $0 } }
  }

  let behaviour: Behaviour

  func run(_ context: JobRunContext) throws -> JSONValue {
    context.report(.object(["stage": .string("detect_track"), "phase": .string("detect_track")]))
    switch behaviour {
    case .succeed:
      return .object(["ep_id": .string(context.job.epID)])
    case .fail(let message):
      throw Poisoned(message: message)
    case .runUntilStopped:
      while !context.isCancelled { usleep(5_000) }
      throw CancellationError()
    case .succeedWhenOpened(let gate):
      while !gate.isOpen {
        if context.isCancelled { throw CancellationError() }
        usleep(5_000)
      }
      return .object(["ep_id": .string(context.job.epID)])
    }
  }

  struct Poisoned: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
  }
}

func workerOptions(exitWhenIdle: Bool = true) -> WorkerOptions {
  var options = WorkerOptions(name: "test:\(UUID().uuidString.prefix(4))")
  // A lease far longer than any test: a test process whose threads are all busy must not
  // lose a lease it holds (only `leaseLost` makes it short on purpose).
  options.leaseSeconds = 600
  options.heartbeatSeconds = 0.2
  options.pollSeconds = 0.1
  options.retryDelaySeconds = 0
  options.exitWhenIdle = exitWhenIdle
  return options
}

/// The worker loop (docs/job_queue.md, "Workers") with a stand-in runner.
@Suite("Job queue worker")
struct QueueWorkerTests {
  @Test("two slots run every job once, then exit when idle")
  func runsEverything() async throws {
    try await withFreshQueue { queue in
      for number in 0..<4 { _ = try await queue.submit(submission("ep-\(number)")) }
      var options = workerOptions()
      options.concurrency = 2
      let worker = QueueWorker(
        queue: queue, options: options, runner: FakeRunner(behaviour: .succeed), logger: quiet)
      let summary = try await worker.run()
      #expect(summary.succeeded == 4 && summary.failed == 0)
      for job in try await queue.jobs() {
        #expect(job.state == .succeeded && job.attempts == 1)
        #expect(job.result == .object(["ep_id": .string(job.epID)]))
        #expect(job.progress?["stage"] == .string("detect_track"))
        #expect(job.worker?.hasPrefix(options.name + ":") == true)
      }
    }
  }

  @Test("a failing job is retried up to max_attempts, then fails with its error")
  func poisoned() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-poison", maxAttempts: 3)).job.id
      let worker = QueueWorker(
        queue: queue, options: workerOptions(),
        runner: FakeRunner(behaviour: .fail("corrupt video")), logger: quiet)
      let summary = try await worker.run()
      #expect(summary.failed == 3)
      let job = try #require(try await queue.job(id))
      #expect(job.state == .failed && job.attempts == 3)
      #expect(
        job.error?.hasSuffix(": corrupt video") == true && job.error?.contains("attempt 3") == true)
    }
  }

  @Test("queue cancel stops a running job at the next heartbeat")
  func cancelRunning() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-long")).job.id
      let worker = QueueWorker(
        queue: queue, options: workerOptions(), runner: FakeRunner(behaviour: .runUntilStopped),
        logger: quiet)
      // Its own executor: an unstructured task would wait for the cooperative pool, which the
      // suite's synchronous end-to-end tests can hold for minutes.
      let run = Task(executorPreference: SerialQueueExecutor(label: "tests.worker")) {
        try await worker.run()
      }
      _ = try await eventually("the job to run with progress") {
        try await queue.job(id).flatMap { $0.progress != nil ? $0 : nil }
      }
      _ = try await queue.cancel(id)
      let summary = try await run.value
      #expect(summary.cancelled == 1)
      let job = try #require(try await queue.job(id))
      #expect(job.state == .cancelled && job.error?.contains("cancelled while running") == true)
    }
  }

  @Test("shutting the worker down gives its running job back, the attempt not counted")
  func shutdown() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-long")).job.id
      let worker = QueueWorker(
        queue: queue, options: workerOptions(exitWhenIdle: false),
        runner: FakeRunner(behaviour: .runUntilStopped), logger: quiet)
      // Its own executor: an unstructured task would wait for the cooperative pool, which the
      // suite's synchronous end-to-end tests can hold for minutes.
      let run = Task(executorPreference: SerialQueueExecutor(label: "tests.worker")) {
        try await worker.run()
      }
      _ = try await eventually("the job to run") {
        try await queue.job(id).flatMap { $0.state == .running ? $0 : nil }
      }
      run.cancel()
      let summary = try await run.value
      #expect(summary.released == 1)
      let job = try #require(try await queue.job(id))
      #expect(job.state == .queued && job.attempts == 0)
      #expect(job.error?.contains("shutting down") == true)
    }
  }

  @Test("a worker whose lease was taken over stops its job and records nothing")
  func leaseLost() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-taken")).job.id
      var options = workerOptions()
      options.leaseSeconds = 1
      options.heartbeatSeconds = 5  // too slow: the lease expires between heartbeats
      let worker = QueueWorker(
        queue: queue, options: options, runner: FakeRunner(behaviour: .runUntilStopped),
        logger: quiet)
      // Its own executor: an unstructured task would wait for the cooperative pool, which the
      // suite's synchronous end-to-end tests can hold for minutes.
      let run = Task(executorPreference: SerialQueueExecutor(label: "tests.worker")) {
        try await worker.run()
      }
      _ = try await eventually("the worker to claim the job") {
        try await queue.job(id).flatMap { $0.state == .running ? $0 : nil }
      }
      let (taken, lease) = try await eventually("another worker to take the job over") {
        try await queue.claim(worker: "other", leaseSeconds: 60)
      }
      #expect(taken.id == id && taken.attempts == 2)
      #expect(try await queue.succeed(lease, result: .object([:]), progress: nil))
      let summary = try await run.value
      #expect(summary.lost == 1 && summary.succeeded == 0)
      let job = try #require(try await queue.job(id))
      #expect(job.state == .succeeded && job.worker == "other" && job.attempts == 2)
    }
  }
}
