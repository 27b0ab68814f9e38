import Foundation
import PostgresTestSupport
import Testing
import ThreadPrimitives

@testable import JobQueue

/// A worker's calls through `WorkerDatabase`, with stand-in operations; off the cooperative
/// pool, since they time what they wait for.
@Suite("Worker database calls")
struct WorkerDatabaseTests {
  static let url = try! DatabaseURL("postgres://someone:secret@db.example:5432/season")

  static func policy(giveUpAfter seconds: Double) -> DatabaseRetry.Policy {
    DatabaseRetry.Policy(
      giveUpAfter: .seconds(seconds), firstDelay: .milliseconds(20),
      maximumDelay: .milliseconds(80), attemptTimeout: .milliseconds(300))
  }

  static let lost = JobQueueError.connectionLost(operation: "claiming a job", detail: "refused")

  /// A giving-up: `body` called as `operation` through a database that gives up after 0.5 s.
  struct GiveUp {
    let database: WorkerDatabase
    /// What the call threw, when it was `databaseGone`.
    let error: JobQueueError?
    /// How long the call took.
    let elapsed: Duration
    /// `databaseGone`'s fields.
    let waited: Duration, lastError: String

    init(_ operation: String, _ body: @escaping @Sendable () async throws -> Void) async {
      database = WorkerDatabase(url: WorkerDatabaseTests.url, policy: policy(giveUpAfter: 0.5))
      let started = ContinuousClock.now
      var thrown: (any Error)?
      do { try await database.call(operation, logger: quiet, body) } catch { thrown = error }
      elapsed = started.duration(to: .now)
      error = thrown as? JobQueueError
      guard case .databaseGone(_, let waited, _, let lastError)? = error else {
        Issue.record("not databaseGone: \(String(describing: thrown))")
        (self.waited, self.lastError) = (.zero, "")
        return
      }
      (self.waited, self.lastError) = (waited, lastError)
    }
  }

  @Test("connection failures are retried, each logged with its delay, until an answer comes")
  func retriesUntilAnswered() async throws {
    try await offThePool {
      let database = WorkerDatabase(url: Self.url, policy: Self.policy(giveUpAfter: 30))
      let log = LogRecorder()
      let calls = Locked(0)
      let answer = try await database.call("claiming a job", logger: log.logger) {
        let call = calls.withLock { calls in
          calls += 1
          return calls
        }
        if call < 4 { throw Self.lost }
        return call
      }
      #expect(answer == 4)
      let warnings = log.lines(containing: "database unreachable (job queue: claiming a job failed")
      #expect(warnings.count == 3, "\(log.text)")
      #expect(warnings.first?.contains("; retrying in ") == true, "\(log.text)")
      #expect(warnings.first?.contains(", giving up in 30 s") == true, "\(log.text)")
      #expect(log.lines(containing: "database reachable again after").count == 1, "\(log.text)")
    }
  }

  @Test("away past the time-out: it gives up naming the database (no password), then refuses")
  func givesUp() async throws {
    try await offThePool {
      let giveUp = await GiveUp("claiming a job") { throw Self.lost }
      let (database, waited, elapsed) = (giveUp.database, giveUp.waited, giveUp.elapsed)
      #expect(waited >= .milliseconds(500) && elapsed < .seconds(5), "\(waited) \(elapsed)")
      #expect(giveUp.lastError.contains("refused"))
      let error = try #require(giveUp.error)
      let text = "\(error)"
      #expect(
        text.hasPrefix(
          "giving up: the job queue's database at postgres://someone@db.example:5432/season "
            + "has not answered for ") && text.contains(" s (database timeout 0.5 s); last error: ")
          && !text.contains("secret"), "\(text)")
      // Every later call fails at once with the same error, without running.
      let ran = Locked(false)
      await #expect(throws: error) {
        try await database.call("looking for active jobs", logger: quiet) {
          ran.withLock { $0 = true }
        }
      }
      #expect(!ran.withLock { $0 })
    }
  }

  @Test("a refused statement is not retried, and ends every later call")
  func refusedStatement() async throws {
    try await offThePool {
      let database = WorkerDatabase(url: Self.url, policy: Self.policy(giveUpAfter: 30))
      let refused = JobQueueError.database(operation: "claiming a job", detail: "permission denied")
      let calls = Locked(0)
      await #expect(throws: refused) {
        try await database.call("claiming a job", logger: quiet) { () async throws -> Int in
          calls.withLock { $0 += 1 }
          throw refused
        }
      }
      #expect(calls.withLock { $0 } == 1)
      await #expect(throws: refused) {
        try await database.call("claiming a job", logger: quiet) { 1 }
      }
    }
  }

  @Test("a cancelled call still returns the answer of a statement already sent; else it stops")
  func cancelledCall() async throws {
    try await offThePool {
      let database = WorkerDatabase(url: Self.url, policy: Self.policy(giveUpAfter: 30))
      // A claim the server is making: its answer must not be dropped (the job would be lost
      // until its lease expires).
      let sent = Locked(false)
      // Unstructured tasks do not inherit the executor preference: each gets its own executor,
      // so that a cooperative pool busy with other suites cannot hold them back.
      let claim = Task(executorPreference: SerialQueueExecutor(label: "tests.claim")) {
        try await database.call("claiming a job", logger: quiet) {
          await runOnOwnThread {
            sent.withLock { $0 = true }
            usleep(100_000)
            return 7
          }
        }
      }
      _ = try await eventually("the statement to be sent") { sent.withLock { $0 } ? true : nil }
      claim.cancel()
      #expect(try await claim.value == 7)
      // A call waiting for a connection (cancellable) stops with the cancellation.
      let waiting = Task(executorPreference: SerialQueueExecutor(label: "tests.waiting")) {
        try await database.call("claiming a job", logger: quiet) {
          try await Task.sleep(for: .seconds(60))
        }
      }
      waiting.cancel()
      await #expect(throws: CancellationError.self) { try await waiting.value }
    }
  }

  @Test("an attempt with no answer is abandoned after the attempt time-out, not awaited")
  func unansweredAttempt() async throws {
    try await offThePool {
      // A statement stuck on a dead connection: ignores cancellation for 20 s. The call gives
      // up after 0.5 s (attempts of 0.3 s); awaiting the statement would take the 20 s, so the
      // bound leaves room for a loaded machine's scheduling (2.6 s seen on CI's 2 cores with
      // the other suites running) without letting an awaited statement pass.
      let giveUp = await GiveUp("renewing the lease of job 1") {
        _ = await runOnOwnThread { usleep(20_000_000) }
      }
      #expect(giveUp.elapsed < .seconds(10))
      let last = giveUp.lastError
      #expect(last.contains("renewing the lease of job 1 failed: no connection to the database"))
      #expect(last.contains("no answer within"), "\(last)")
    }
  }
}
