public import Artifacts
public import FaceHarvestCore
public import Foundation
import PostgresNIO

/// Where a job is in its life (docs/job_queue.md, "States"); the job server's in-process jobs
/// have the same states (`JobState`).
public enum JobQueueState: String, Sendable, Codable, CaseIterable {
  /// Waiting: for a worker (also after a failed attempt with attempts left), or for a free
  /// slot of the server.
  case queued
  /// Running: a worker holds its lease, or the server runs it.
  case running
  /// Finished: every stage committed its artifacts.
  case succeeded
  /// Stopped by an error (a queued job: on its last attempt); the previous artifacts are
  /// untouched, `error` says why.
  case failed
  /// Stopped on request (`queue cancel`, `POST /jobs/{id}/cancel`).
  case cancelled

  /// Whether the job has ended (only `queue retry` brings it back).
  public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One row of the queue, as `queue status` shows it.
public struct QueuedJob: Sendable, Equatable {
  /// The job id (ascending in submission order).
  public var id: Int64
  /// The episode.
  public var epID: String
  /// The stages it runs, in pipeline order.
  public var stages: [PipelineStage]
  /// Option overrides by config key (over each worker's `config/pipeline` defaults).
  public var options: [String: JSONValue]
  /// Its state.
  public var state: JobQueueState
  /// Attempts started so far (a released attempt is not counted).
  public var attempts: Int
  /// Attempts allowed before the job fails.
  public var maxAttempts: Int
  /// The worker that holds it, or held it last (`host:pid:slot`).
  public var worker: String?
  /// The last progress object a worker reported (phase, frames and faces done and total).
  public var progress: JSONValue?
  /// The closing result: the artifacts written and each stage's summary.
  public var result: JSONValue?
  /// The last attempt's error.
  public var error: String?
  /// Whether `queue cancel` asked the running worker to stop.
  public var cancelRequested: Bool
  /// Who submitted it (`host:pid`, or the server).
  public var submittedBy: String?
  /// When it was submitted.
  public var submittedAt: Date
  /// When the current or last attempt started.
  public var startedAt: Date?
  /// When it ended.
  public var finishedAt: Date?
  /// The last heartbeat of the worker running it.
  public var heartbeatAt: Date?
  /// Until when its worker's lease holds.
  public var leaseExpiresAt: Date?
  /// A queued job is not claimed before this time (a retry's delay).
  public var runAfter: Date

  /// The columns `init(row:)` reads, for every statement that returns a job.
  static let columns = """
    id, ep_id, stages, options::text AS options, state, attempts, max_attempts, worker,
    progress::text AS progress, result::text AS result, error, cancel_requested, submitted_by,
    submitted_at, started_at, finished_at, heartbeat_at, lease_expires_at, run_after
    """

  init(row: PostgresRow) throws {
    let row = PostgresRandomAccessRow(row)
    id = try row["id"].decode(Int64.self)
    epID = try row["ep_id"].decode(String.self)
    stages = try row["stages"].decode([String].self).compactMap(PipelineStage.init(rawValue:))
    options = try Self.json(row["options"].decode(String.self))?.objectValue ?? [:]
    let stateName = try row["state"].decode(String.self)
    guard let state = JobQueueState(rawValue: stateName) else {
      throw JobQueueError.database(operation: "reading job \(id)", detail: "state \(stateName)")
    }
    self.state = state
    attempts = try row["attempts"].decode(Int.self)
    maxAttempts = try row["max_attempts"].decode(Int.self)
    worker = try row["worker"].decode(String?.self)
    progress = try Self.json(row["progress"].decode(String?.self))
    result = try Self.json(row["result"].decode(String?.self))
    error = try row["error"].decode(String?.self)
    cancelRequested = try row["cancel_requested"].decode(Bool.self)
    submittedBy = try row["submitted_by"].decode(String?.self)
    submittedAt = try row["submitted_at"].decode(Date.self)
    startedAt = try row["started_at"].decode(Date?.self)
    finishedAt = try row["finished_at"].decode(Date?.self)
    heartbeatAt = try row["heartbeat_at"].decode(Date?.self)
    leaseExpiresAt = try row["lease_expires_at"].decode(Date?.self)
    runAfter = try row["run_after"].decode(Date.self)
  }

  private static func json(_ text: String?) throws -> JSONValue? {
    guard let text else { return nil }
    return try JSONValue.parse(Array(text.utf8))
  }

  /// The job as `queue status --json` prints it (snake_case keys; times ISO 8601 in UTC;
  /// absent values left out).
  public var jsonValue: JSONValue {
    var object: [String: JSONValue] = [
      "id": .integer(Int(id)), "ep_id": .string(epID),
      "stages": .array(stages.map { .string($0.rawValue) }), "options": .object(options),
      "state": .string(state.rawValue), "attempts": .integer(attempts),
      "max_attempts": .integer(maxAttempts), "cancel_requested": .bool(cancelRequested),
      "submitted_at": .string(ArtifactTimestamp.string(from: submittedAt)),
      "run_after": .string(ArtifactTimestamp.string(from: runAfter)),
    ]
    let optional: [String: JSONValue?] = [
      "worker": worker.map(JSONValue.string), "progress": progress, "result": result,
      "error": error.map(JSONValue.string), "submitted_by": submittedBy.map(JSONValue.string),
      "started_at": startedAt.map(Self.time), "finished_at": finishedAt.map(Self.time),
      "heartbeat_at": heartbeatAt.map(Self.time),
      "lease_expires_at": leaseExpiresAt.map(Self.time),
    ]
    for case (let key, let value?) in optional { object[key] = value }
    return .object(object)
  }

  private static func time(_ date: Date) -> JSONValue {
    .string(ArtifactTimestamp.string(from: date))
  }
}
