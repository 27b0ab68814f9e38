import Artifacts
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Logging
import PostgresTestSupport
import Testing

@testable import JobQueue

/// A logger that prints nothing.
let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` with a queue on a fresh database of the private test server.
/// Runs `body` with a queue on a fresh database of the private test server, off the
/// cooperative pool (leases and heartbeats are timing).
func withFreshQueue<T>(_ body: (JobQueue) async throws -> T) async throws -> T {
  try await offThePool {
    let url = try DatabaseURL(try await TestPostgres.database())
    return try await JobQueue.withQueue(url: url, logger: quiet, body)
  }
}

func submission(_ epID: String, maxAttempts: Int = 3) throws -> JobSubmission {
  JobSubmission(episode: try EpisodeID(epID), maxAttempts: maxAttempts, submittedBy: "test")
}

/// The queue's own operations (docs/job_queue.md) against a private PostgreSQL server.
@Suite("Job queue")
struct JobQueueTests {
  @Test("migrations are idempotent, and two workers migrating at once apply each once")
  func migrations() async throws {
    let url = try DatabaseURL(try await TestPostgres.database())
    async let first = JobQueue.migrate(url: url, logger: quiet)
    async let second = JobQueue.migrate(url: url, logger: quiet)
    #expect(try await [first, second].sorted() == [0, QueueSchema.latest])
    #expect(try await JobQueue.migrate(url: url, logger: quiet) == QueueSchema.latest)
  }

  @Test("concurrent claimers never get the same job, and every job is claimed once")
  func exclusiveClaims() async throws {
    try await withFreshQueue { queue in
      var ids: [Int64] = []
      for number in 0..<16 {
        ids.append(try await queue.submit(submission("ep-\(number)")).job.id)
      }
      let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
        for claimer in 0..<6 {
          group.addTask {
            var mine: [Int64] = []
            while let (job, _) = try await queue.claim(worker: "w\(claimer)", leaseSeconds: 60) {
              mine.append(job.id)
            }
            return mine
          }
        }
        return try await group.reduce([], +)
      }
      #expect(claimed.sorted() == ids)
      let jobs = try await queue.jobs()
      #expect(jobs.allSatisfy { $0.state == .running && $0.attempts == 1 })
    }
  }

  @Test("an expired lease makes the job claimable again, counting the attempt")
  func leaseExpiry() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-lease")).job.id
      let (_, first) = try #require(try await queue.claim(worker: "a", leaseSeconds: 600))
      #expect(try await queue.claim(worker: "b", leaseSeconds: 30) == nil)
      // A heartbeat renews the lease for the time it names: half a second, then it expires.
      #expect(
        try await queue.heartbeat(first, leaseSeconds: 0.5, progress: nil)
          == .held(cancelRequested: false))
      let (job, second) = try await eventually("the lease to expire") {
        try await queue.claim(worker: "b", leaseSeconds: 30)
      }
      #expect(job.id == id && job.attempts == 2 && job.worker == "b")
      #expect(job.error?.contains("worker a lost its lease on attempt 1") == true, "\(job)")
      // The first worker's writes are refused from now on.
      #expect(try await queue.heartbeat(first, leaseSeconds: 30, progress: nil) == .lost)
      #expect(try await !queue.succeed(first, result: .object([:]), progress: nil))
      #expect(try await queue.fail(first, error: "late", retryDelaySeconds: 0) == nil)
      #expect(
        try await queue.heartbeat(second, leaseSeconds: 30, progress: nil)
          == .held(cancelRequested: false))
      #expect(try await queue.succeed(second, result: .object(["ok": .bool(true)]), progress: nil))
      #expect(try await queue.job(id)?.state == .succeeded)
    }
  }

  @Test("failed attempts retry until max_attempts, then the job fails with its error")
  func maxAttempts() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-poison", maxAttempts: 2)).job.id
      let (_, first) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      #expect(try await queue.fail(first, error: "bad video", retryDelaySeconds: 0) == .queued)
      let (job, second) = try #require(try await queue.claim(worker: "b", leaseSeconds: 30))
      #expect(job.id == id && job.attempts == 2 && job.error == "bad video")
      #expect(
        try await queue.fail(second, error: "bad video again", retryDelaySeconds: 0) == .failed)
      let failed = try #require(try await queue.job(id))
      #expect(failed.state == .failed && failed.error == "bad video again")
      #expect(failed.finishedAt != nil)
      #expect(try await queue.claim(worker: "c", leaseSeconds: 30) == nil)
    }
  }

  @Test("a retry delay keeps a failed attempt's job from being claimed at once")
  func retryDelay() async throws {
    try await withFreshQueue { queue in
      _ = try await queue.submit(submission("ep-delay"))
      let (_, lease) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      #expect(try await queue.fail(lease, error: "boom", retryDelaySeconds: 600) == .queued)
      #expect(try await queue.claim(worker: "a", leaseSeconds: 30) == nil)
      #expect(try await queue.hasActiveJobs())
    }
  }

  @Test("a lease expiring on the last attempt fails the job: its worker lost its lease")
  func leaseExpiryOnLastAttempt() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-killed", maxAttempts: 1)).job.id
      _ = try #require(try await queue.claim(worker: "gone", leaseSeconds: 1))
      let ended = try await eventually("the expired job to be ended") {
        try await queue.reapExpired().first
      }
      #expect(ended.id == id && ended.state == .failed)
      #expect(ended.error?.contains("worker gone lost its lease on attempt 1 of 1") == true)
      #expect(try await queue.claim(worker: "b", leaseSeconds: 30) == nil)
      #expect(try await !queue.hasActiveJobs())
    }
  }

  @Test("cancel and retry: queued, running, ended; refused where they make no sense")
  func cancelAndRetry() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-cancel")).job.id
      #expect(try await queue.cancel(id).state == .cancelled)
      await #expect(
        throws: JobQueueError.notAllowed(job: id, state: .cancelled, action: "cancelled")
      ) {
        try await queue.cancel(id)
      }
      let retried = try await queue.retry(id)
      #expect(retried.state == .queued && retried.attempts == 0 && retried.error == nil)
      let (_, lease) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      let running = try await queue.cancel(id)
      #expect(running.state == .running && running.cancelRequested)
      #expect(
        try await queue.heartbeat(lease, leaseSeconds: 30, progress: nil)
          == .held(cancelRequested: true))
      #expect(try await queue.markCancelled(lease, reason: "stopped"))
      #expect(try await queue.job(id)?.state == .cancelled)
      _ = try await queue.retry(id)
      let (_, again) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      #expect(try await queue.succeed(again, result: .object([:]), progress: nil))
      await #expect(throws: JobQueueError.notAllowed(job: id, state: .succeeded, action: "retried"))
      {
        try await queue.retry(id)
      }
      await #expect(throws: JobQueueError.noSuchJob(999)) { try await queue.cancel(999) }
    }
  }

  @Test("a released job goes back to the queue without counting the attempt")
  func release() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-release")).job.id
      let (_, lease) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      #expect(try await queue.release(lease, reason: "shutting down"))
      let job = try #require(try await queue.job(id))
      #expect(job.state == .queued && job.attempts == 0)
    }
  }

  @Test("one active job per episode: a second submit or retry reports the first")
  func oneActiveJobPerEpisode() async throws {
    try await withFreshQueue { queue in
      let first = try await queue.submit(submission("ep-one"))
      let job = first.job
      #expect(first == .queued(job))
      #expect(try await queue.submit(submission("ep-one")) == .alreadyActive(job))
      let (_, lease) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
      #expect(try await queue.fail(lease, error: "x", retryDelaySeconds: 0) == .queued)
      #expect(try await queue.submit(submission("ep-one")).job.id == job.id)
      for _ in 2...3 {
        let (_, next) = try #require(try await queue.claim(worker: "a", leaseSeconds: 30))
        _ = try await queue.fail(next, error: "x", retryDelaySeconds: 0)
      }
      #expect(try await queue.job(job.id)?.state == .failed)
      let second = try await queue.submit(submission("ep-one"))
      let newer = second.job
      #expect(second == .queued(newer) && newer.id != job.id)
      await #expect(throws: JobQueueError.episodeActive(epID: "ep-one", job: newer.id)) {
        try await queue.retry(job.id)
      }
    }
  }

  @Test("status lists jobs in order with their fields; a state filter narrows it")
  func status() async throws {
    try await withFreshQueue { queue in
      var options = try submission("ep-b")
      options.stages = [.cluster, .facesEmbed]
      options.options = ["max_crops_per_track": .integer(2)]
      _ = try await queue.submit(submission("ep-a"))
      _ = try await queue.submit(options)
      let (_, lease) = try #require(try await queue.claim(worker: "h:1:1", leaseSeconds: 30))
      let progress = JSONValue.object([
        "stage": .string("detect_track"), "frames_done": .integer(3),
      ])
      _ = try await queue.heartbeat(lease, leaseSeconds: 30, progress: progress)
      let jobs = try await queue.jobs()
      #expect(jobs.map(\.epID) == ["ep-a", "ep-b"])
      #expect(
        jobs[0].state == .running && jobs[0].worker == "h:1:1" && jobs[0].progress == progress)
      #expect(
        jobs[0].startedAt != nil && jobs[0].heartbeatAt != nil && jobs[0].leaseExpiresAt != nil)
      #expect(jobs[1].stages == [.facesEmbed, .cluster])
      #expect(jobs[1].options == ["max_crops_per_track": .integer(2)])
      #expect(try await queue.jobs(in: [.queued]).map(\.epID) == ["ep-b"])
      let json = jobs[0].jsonValue
      #expect(json["state"] == .string("running") && json["attempts"] == .integer(1))
      #expect(json["ep_id"] == .string("ep-a") && json["progress"] == progress)
      #expect(json["finished_at"] == nil && json["submitted_at"]?.stringValue != nil)
    }
  }

  @Test("an unreachable server is a clear error naming the URL, never its password")
  func unreachable() async throws {
    let free = try TestPostgres.unreachableURL()
    let url = try DatabaseURL(
      free.replacingOccurrences(of: "faceharvest@", with: "faceharvest:secret@"))
    do {
      try await JobQueue.withQueue(url: url, logger: quiet) { _ in }
      Issue.record("connected to \(url)")
    } catch let error as JobQueueError {
      #expect(error.description.contains("cannot reach the job queue's database at \(url)"))
      #expect(!error.description.contains("secret"))
    }
  }

  @Test("database URLs: parts, defaults, errors without the password")
  func databaseURLs() throws {
    let url = try DatabaseURL("postgresql://me:p%40ss@db.local:6543/season?sslmode=disable")
    #expect(url.host == "db.local" && url.port == 6543 && url.username == "me")
    #expect(url.password == "p@ss" && url.database == "season" && url.tls == .disable)
    #expect(url.description == "postgres://me@db.local:6543/season")
    #expect(try DatabaseURL("postgres://me@h/db").port == 5432)
    for bad in [
      "mysql://me@h/db", "postgres://h/db", "postgres://me@h/", "postgres://me@h/db?sslmode=x",
    ] {
      #expect(throws: JobQueueError.self) { try DatabaseURL(bad) }
    }
    do {
      _ = try DatabaseURL("postgres://me:hunter2@h/")
    } catch {
      #expect(!"\(error)".contains("hunter2") && "\(error)".contains("no database name"))
    }
    #expect(try DatabaseURL.resolve(explicit: nil, environment: [:]) == nil)
    let fromEnvironment = try DatabaseURL.resolve(
      explicit: nil, environment: [DatabaseURL.environmentKey: "postgres://a@b/c"])
    #expect(fromEnvironment?.description == "postgres://a@b:5432/c")
  }
}
