import Foundation
import PostgresNIO

/// What the queue refuses or fails at, with the database named by its URL (never its
/// password) and PostgreSQL's own message where there is one.
public enum JobQueueError: Error, CustomStringConvertible, Equatable {
  /// The database URL does not parse.
  case invalidDatabaseURL(String, reason: String)
  /// The server cannot be reached or refused the login.
  case unreachable(url: String, reason: String)
  /// A statement failed.
  case database(operation: String, detail: String)
  /// The database's queue schema is newer than this build knows.
  case schemaTooNew(found: Int, known: Int)
  /// No job has this id.
  case noSuchJob(Int64)
  /// The job's state does not allow the action.
  case notAllowed(job: Int64, state: JobQueueState, action: String)
  /// The episode has another queued or running job (one writer per episode).
  case episodeActive(epID: String, job: Int64)
  /// An input the job's first stage needs is not on the data root.
  case missingInput(epID: String, path: String, what: String)
  /// A stage name that is not one of the pipeline's.
  case unknownStage(String)

  public var description: String {
    switch self {
    case .invalidDatabaseURL(let url, let reason):
      "invalid database URL \(url): \(reason)"
    case .unreachable(let url, let reason):
      "cannot reach the job queue's database at \(url): \(reason)"
    case .database(let operation, let detail):
      "job queue: \(operation) failed: \(detail)"
    case .schemaTooNew(let found, let known):
      "the job queue's schema is version \(found), newer than this build knows (\(known)): "
        + "upgrade episode-run"
    case .noSuchJob(let id):
      "no job \(id) in the queue"
    case .notAllowed(let id, let state, let action):
      "job \(id) is \(state.rawValue): it cannot be \(action)"
    case .episodeActive(let epID, let job):
      "episode \(epID) already has an active job (\(job)): cancel it first or wait for it"
    case .missingInput(let epID, let path, let what):
      "\(epID): missing input \(path) (\(what))"
    case .unknownStage(let name):
      "unknown stage \"\(name)\" (stages: detect_track, faces_embed, cluster)"
    }
  }

  /// PostgreSQL's message for `error` (PostgresNIO hides it behind a generic description),
  /// else the error as it describes itself.
  static func detail(_ error: any Error) -> String {
    if let error = error as? PSQLError {
      if let message = error.serverInfo?[.message] {
        let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return message + code
      }
      if let underlying = error.underlying { return "\(error.code): \(underlying)" }
      return "\(error.code)"
    }
    if let error = error as? PostgresTransactionError {
      guard let inner = error.closureError ?? error.commitError ?? error.beginError else {
        return String(reflecting: error)
      }
      return detail(inner)
    }
    return "\(error)"
  }

  /// Runs `body`, turning a database error into `.database(operation, detail)`; the queue's
  /// own errors pass through.
  static func wrapping<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as JobQueueError {
      throw error
    } catch let error as PostgresTransactionError where error.closureError is JobQueueError {
      throw error.closureError!
    } catch {
      throw JobQueueError.database(operation: operation, detail: detail(error))
    }
  }
}
