public import Artifacts
public import Foundation
public import JobQueue
import ThreadPrimitives

/// What a job runs.
public enum JobKind: String, Sendable, Codable, CaseIterable {
  /// `--faces-embed`.
  case facesEmbed = "faces_embed"
  /// `--detect-track`.
  case detectTrack = "detect_track"
  /// `--cluster`.
  case cluster
  /// Detect-track, harvest and cluster, in order.
  case pipeline
}

/// Where a job is in its life: the same states for an in-process job (queued: waiting for a
/// free slot) and a queued one (docs/job_queue.md, "States").
public typealias JobState = JobQueueState

/// One event of a job's stream: `progress`, `done` or `error`, numbered from 1.
public struct JobEvent: Sendable, Equatable {
  /// Sequence number (the SSE `id:`).
  public var id: Int
  /// `progress`, `done` or `error`.
  public var name: String
  /// One JSON object (the SSE `data:`).
  public var data: String

  /// The event in Server-Sent-Events framing.
  public var serverSentEvent: String {
    "id: \(id)\nevent: \(name)\ndata: \(data)\n\n"
  }
}

/// A job as `GET /jobs/{id}` reports it.
public struct JobSnapshot: Sendable, Codable, Equatable {
  /// The job id.
  public var jobID: String
  /// What it runs.
  public var kind: JobKind
  /// The episode.
  public var epID: String
  /// Its state.
  public var state: JobState
  /// The last progress object, as JSON text (absent before the first).
  public var progress: JSONValue?
  /// Artifacts written (paths relative to the data root), once succeeded.
  public var result: [String]?
  /// The error, once failed or cancelled.
  public var error: String?
  /// When it was submitted (ISO 8601).
  public var createdAt: String

  enum CodingKeys: String, CodingKey {
    case jobID = "job_id"
    case kind, state, progress, result, error
    case epID = "ep_id"
    case createdAt = "created_at"
  }
}

/// One job: its state and its events, shared between the thread that runs it and the
/// requests that watch it.
public final class Job: Sendable {
  /// The job id.
  public let id: String
  /// What it runs.
  public let kind: JobKind
  /// The episode.
  public let episode: EpisodeID
  /// When it was submitted.
  public let createdAt: Date
  private let createdAtText: String
  let work: @Sendable (Job) throws -> [String]

  /// Everything that changes while the job lives, behind one lock.
  private struct State {
    var events: [JobEvent] = []
    var watchers: [UUID: AsyncStream<JobEvent>.Continuation] = [:]
    var state = JobState.queued
    var lastProgress: JSONValue?
    var resultPaths: [String]?
    var errorText: String?
    var cancelRequested = false
    var summary: JSONValue?
  }

  private let current = Locked(State())

  init(
    id: String, kind: JobKind, episode: EpisodeID,
    work: @escaping @Sendable (Job) throws -> [String]
  ) {
    self.id = id
    self.kind = kind
    self.episode = episode
    self.createdAt = Date()
    self.createdAtText = ArtifactTimestamp.string(from: createdAt)
    self.work = work
  }

  /// The state now.
  public var state: JobState { current.withLock { $0.state } }

  /// Whether cancellation was asked for (the stage polls this between batches).
  public var isCancelled: Bool { current.withLock { $0.cancelRequested } }

  /// Asks the job to stop; a queued job stops at once.
  func requestCancel() {
    current.withLock { $0.cancelRequested = true }
  }

  /// What `GET /jobs/{id}` returns.
  public func snapshot() -> JobSnapshot {
    current.withLock {
      JobSnapshot(
        jobID: id, kind: kind, epID: episode.rawValue, state: $0.state,
        progress: $0.lastProgress, result: $0.resultPaths, error: $0.errorText,
        createdAt: createdAtText)
    }
  }

  /// Records a progress object and sends it to every watcher.
  public func progress(_ object: [String: JSONValue]) {
    let value = JSONValue.object(object)
    current.withLock { $0.lastProgress = value }
    append(name: "progress", object: object)
  }

  func setRunning() { current.withLock { $0.state = .running } }

  /// The closing summary the `done` event carries (set by the work).
  public var summary: JSONValue? {
    get { current.withLock { $0.summary } }
    set { current.withLock { $0.summary = newValue } }
  }

  /// Ends the job: `done` with the result, or `error`.
  func finish(state: JobState, result: [String]?, summary: JSONValue?, error: String?) {
    current.withLock {
      $0.state = state
      $0.resultPaths = result
      $0.errorText = error
    }
    if state == .succeeded {
      var object: [String: JSONValue] = [
        "phase": .string("done"), "result": .array((result ?? []).map { .string($0) }),
      ]
      if let summary { object["summary"] = summary }
      append(name: "done", object: object)
    } else {
      append(
        name: "error",
        object: [
          "error": .string(state == .cancelled ? "cancelled" : "failed"),
          "detail": .string(error ?? ""),
        ])
    }
  }

  private func append(name: String, object: [String: JSONValue]) {
    let data = JSONValue.object(object).compactJSON()
    let (event, targets, final) = current.withLock { state in
      let event = JobEvent(id: state.events.count + 1, name: name, data: data)
      state.events.append(event)
      let targets = Array(state.watchers.values)
      let final = state.state.isFinal && name != "progress"
      if final { state.watchers.removeAll() }
      return (event, targets, final)
    }
    for continuation in targets {
      continuation.yield(event)
      if final { continuation.finish() }
    }
  }

  /// The events after `lastEventID` (0: all), then the live ones, ending with `done` or
  /// `error`.
  public func events(after lastEventID: Int) -> AsyncStream<JobEvent> {
    let (stream, continuation) = AsyncStream<JobEvent>.makeStream()
    current.withLock { state in
      for event in state.events where event.id > lastEventID { continuation.yield(event) }
      if state.state.isFinal && state.events.last?.name != "progress" {
        continuation.finish()
      } else {
        let key = UUID()
        state.watchers[key] = continuation
        continuation.onTermination = { [weak self] _ in
          self?.current.withLock { _ = $0.watchers.removeValue(forKey: key) }
        }
      }
    }
    return stream
  }

}

extension JobSnapshot {
  /// The snapshot as a JSON value (snake_case keys, absent fields left out).
  var jsonValue: JSONValue {
    var object: [String: JSONValue] = [
      "job_id": .string(jobID), "kind": .string(kind.rawValue), "ep_id": .string(epID),
      "state": .string(state.rawValue), "created_at": .string(createdAt),
    ]
    if let progress { object["progress"] = progress }
    if let result { object["result"] = .array(result.map { .string($0) }) }
    if let error { object["error"] = .string(error) }
    return .object(object)
  }
}

extension JSONValue {
  /// Compact JSON text with sorted keys, written directly (no `JSONEncoder`: the server
  /// renders one for every status request).
  func compactJSON() -> String {
    var text = ""
    write(to: &text)
    return text
  }

  private func write(to text: inout String) {
    switch self {
    case .null: text += "null"
    case .bool(let value): text += value ? "true" : "false"
    case .integer(let value): text += String(value)
    case .number(let value): text += value.isFinite ? "\(value)" : "null"
    case .string(let value): Self.quote(value, into: &text)
    case .array(let values):
      text += "["
      for (index, value) in values.enumerated() {
        if index > 0 { text += "," }
        value.write(to: &text)
      }
      text += "]"
    case .object(let fields):
      text += "{"
      for (index, key) in fields.keys.sorted().enumerated() {
        if index > 0 { text += "," }
        Self.quote(key, into: &text)
        text += ":"
        fields[key]!.write(to: &text)
      }
      text += "}"
    }
  }

  private static func quote(_ string: String, into text: inout String) {
    text += "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20:
        text +=
          "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: text.unicodeScalars.append(scalar)
      }
    }
    text += "\""
  }
}
