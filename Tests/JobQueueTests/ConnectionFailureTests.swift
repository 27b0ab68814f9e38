import Artifacts
import Foundation
import PostgresNIO
import Testing
import _ConnectionPoolModule

@testable import JobQueue

/// What the worker retries (docs/job_queue.md, "When the database goes away"): connection
/// failures, told from statements the database refuses; and a finish that may be sent twice.
@Suite("Connection failures")
struct ConnectionFailureTests {
  @Test("connection failures are told from refused statements")
  func classification() {
    let retried: [any Error] = [
      JobQueueError.connectionLost(operation: "x", detail: "y"),
      ConnectionPoolError.connectionCreationCircuitBreakerTripped,
      IOError(errnoCode: ECONNREFUSED, reason: "connect"), ChannelError.ioOnClosedChannel,
    ]
    let refused: [any Error] = [
      JobQueueError.database(operation: "x", detail: "y"),
      JobQueueError.schemaTooNew(found: 3, known: 1), ConnectionPoolError.requestCancelled,
      CancellationError(), CocoaError(.fileNoSuchFile),
    ]
    for error in retried { #expect(JobQueueError.isConnectionFailure(error), "\(error)") }
    for error in refused { #expect(!JobQueueError.isConnectionFailure(error), "\(error)") }
  }

  @Test("the server ending a session is a connection failure; a bad statement is not")
  func serverErrors() async throws {
    let ended = try await wrappedError(
      "SELECT pg_terminate_backend(pg_backend_pid())", "ending itself")
    #expect(ended == .connectionLost(operation: "ending itself", detail: ended?.detail ?? ""))
    let refused = try await wrappedError("SELECT * FROM no_such_table", "selecting nonsense")
    #expect(refused == .database(operation: "selecting nonsense", detail: refused?.detail ?? ""))
    #expect(refused?.detail?.contains("42P01") == true, "\(String(describing: refused))")
  }

  /// What `JobQueueError.wrapping` makes of `sql`'s error; on a queue of its own, since the
  /// pool may hand an ended session out once more.
  func wrappedError(_ sql: PostgresQuery, _ operation: String) async throws -> JobQueueError? {
    try await withFreshQueue { queue in
      do {
        try await JobQueueError.wrapping(operation) {
          for try await _ in try await queue.client.query(sql) {}
        }
        return nil
      } catch let error as JobQueueError {
        return error
      }
    }
  }
  @Test("finishing again (its answer lost with the connection) still succeeds; no other write")
  func finishTwice() async throws {
    try await withFreshQueue { queue in
      let id = try await queue.submit(submission("ep-twice")).job.id
      let (_, lease) = try #require(try await queue.claim(worker: "a", leaseSeconds: 60))
      #expect(try await queue.succeed(lease, result: .object(["n": .integer(1)]), progress: nil))
      let first = try #require(try await queue.job(id))
      #expect(try await queue.succeed(lease, result: .object(["n": .integer(1)]), progress: nil))
      let again = try #require(try await queue.job(id))
      #expect(again.state == .succeeded && again.finishedAt == first.finishedAt)
      // Only the lease that finished it may repeat it, and only the finish.
      let other = JobLease(jobID: id, worker: "b", attempt: 1)
      #expect(try await !queue.succeed(other, result: .object([:]), progress: nil))
      #expect(try await queue.fail(lease, error: "late", retryDelaySeconds: 0) == nil)
      #expect(try await queue.job(id)?.state == .succeeded)
    }
  }
}

extension JobQueueError {
  /// The detail of a statement's failure.
  var detail: String? {
    switch self {
    case .database(_, let detail), .connectionLost(_, let detail): detail
    default: nil
    }
  }
}
