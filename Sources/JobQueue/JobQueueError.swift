import Foundation
import PostgresNIO
import _ConnectionPoolModule

/// What the queue refuses or fails at, with the database named by its URL (never its
/// password) and PostgreSQL's own message where there is one.
public enum JobQueueError: Error, CustomStringConvertible, Equatable {
  /// The database URL does not parse.
  case invalidDatabaseURL(String, reason: String)
  /// The server cannot be reached or refused the login.
  case unreachable(url: String, reason: String)
  /// A statement failed.
  case database(operation: String, detail: String)
  /// The connection broke, or none could be made, while `operation` ran (the server stopped,
  /// restarts, or is out of reach): worth trying again, unlike `database`.
  case connectionLost(operation: String, detail: String)
  /// The database at `url` stayed away longer than a worker's database timeout (`limit`): the
  /// worker gave up after `waited`; `lastError` is the last failure it saw.
  case databaseGone(url: String, waited: Duration, limit: Duration, lastError: String)
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
    case .connectionLost(let operation, let detail):
      "job queue: \(operation) failed: no connection to the database (\(detail))"
    case .databaseGone(let url, let waited, let limit, let lastError):
      "giving up: the job queue's database at \(url) has not answered for \(waited.secondsText) "
        + "(database timeout \(limit.secondsText)); last error: \(lastError)"
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
    if let error = error as? ConnectionPoolError, error == .connectionCreationCircuitBreakerTripped
    {
      return "no connection could be made for a minute"
    }
    return "\(error)"
  }

  /// Whether `error` says the connection broke or could not be made (worth trying again),
  /// rather than that a statement was refused: PostgresNIO's connection errors, the pool's
  /// "cannot connect" (its circuit breaker), network errors, and the server's SQLSTATE class
  /// 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting up) and 53300
  /// (too many connections).
  static func isConnectionFailure(_ error: any Error) -> Bool {
    switch error {
    case let error as JobQueueError:
      if case .connectionLost = error { return true }
      return false
    case let error as PSQLError:
      switch error.code {
      case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
        return true
      case .server:
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
      default:
        return false
      }
    case let error as PostgresTransactionError:
      return [error.beginError, error.closureError, error.commitError].contains {
        $0.map(isConnectionFailure) ?? false
      }
    case let error as ConnectionPoolError:
      return error == .connectionCreationCircuitBreakerTripped
    case is IOError, is ChannelError:
      return true
    default:
      return false
    }
  }

  /// Runs `body`, turning a database error into `.database(operation, detail)`, or
  /// `.connectionLost` when the connection failed; the queue's own errors pass through.
  static func wrapping<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as JobQueueError {
      throw error
    } catch let error as PostgresTransactionError where error.closureError is JobQueueError {
      throw error.closureError!
    } catch  where isConnectionFailure(error) {
      throw JobQueueError.connectionLost(operation: operation, detail: detail(error))
    } catch {
      throw JobQueueError.database(operation: operation, detail: detail(error))
    }
  }
}
