import Artifacts
import Foundation

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

/// Where a job is in its life.
public enum JobState: String, Sendable, Codable {
  /// Waiting for a free slot.
  case queued
  /// Running.
  case running
  /// Finished; its artifacts are written.
  case succeeded
  /// Stopped by an error; the previous artifacts are untouched.
  case failed
  /// Stopped on request; the previous artifacts are untouched.
  case cancelled

  /// Whether the job has ended.
  public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

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
public final class Job: @unchecked Sendable {
  /// The job id.
  public let id: String
  /// What it runs.
  public let kind: JobKind
  /// The episode.
  public let episode: EpisodeID
  /// When it was submitted.
  public let createdAt: Date
  let work: @Sendable (Job) throws -> [String]
  private let lock = NSLock()
  private var events: [JobEvent] = []
  private var watchers: [UUID: AsyncStream<JobEvent>.Continuation] = [:]
  private var currentState = JobState.queued
  private var lastProgress: JSONValue?
  private var resultPaths: [String]?
  private var errorText: String?
  private var cancelRequested = false
  private var summaryValue: JSONValue?

  init(
    id: String, kind: JobKind, episode: EpisodeID,
    work: @escaping @Sendable (Job) throws -> [String]
  ) {
    self.id = id
    self.kind = kind
    self.episode = episode
    self.createdAt = Date()
    self.work = work
  }

  /// The state now.
  public var state: JobState { lock.withLock { currentState } }

  /// Whether cancellation was asked for (the stage polls this between batches).
  public var isCancelled: Bool { lock.withLock { cancelRequested } }

  /// Asks the job to stop; a queued job stops at once.
  func requestCancel() {
    lock.withLock { cancelRequested = true }
  }

  /// What `GET /jobs/{id}` returns.
  public func snapshot() -> JobSnapshot {
    lock.withLock {
      JobSnapshot(
        jobID: id, kind: kind, epID: episode.rawValue, state: currentState,
        progress: lastProgress, result: resultPaths, error: errorText,
        createdAt: ArtifactTimestamp.string(from: createdAt))
    }
  }

  /// Records a progress object and sends it to every watcher.
  public func progress(_ object: [String: JSONValue]) {
    let value = JSONValue.object(object)
    lock.withLock { lastProgress = value }
    append(name: "progress", object: object)
  }

  func setRunning() { lock.withLock { currentState = .running } }

  /// The closing summary the `done` event carries (set by the work).
  public var summary: JSONValue? {
    get { lock.withLock { summaryValue } }
    set { lock.withLock { summaryValue = newValue } }
  }

  /// Ends the job: `done` with the result, or `error`.
  func finish(state: JobState, result: [String]?, summary: JSONValue?, error: String?) {
    lock.withLock {
      currentState = state
      resultPaths = result
      errorText = error
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
    lock.lock()
    let event = JobEvent(id: events.count + 1, name: name, data: data)
    events.append(event)
    let targets = Array(watchers.values)
    let final = currentState.isFinal && name != "progress"
    if final { watchers.removeAll() }
    lock.unlock()
    for continuation in targets {
      continuation.yield(event)
      if final { continuation.finish() }
    }
  }

  /// The events after `lastEventID` (0: all), then the live ones, ending with `done` or
  /// `error`.
  public func events(after lastEventID: Int) -> AsyncStream<JobEvent> {
    let (stream, continuation) = AsyncStream<JobEvent>.makeStream()
    lock.lock()
    for event in events where event.id > lastEventID { continuation.yield(event) }
    if currentState.isFinal && events.last?.name != "progress" {
      continuation.finish()
    } else {
      let key = UUID()
      watchers[key] = continuation
      continuation.onTermination = { [weak self] _ in
        self?.lock.withLock { _ = self?.watchers.removeValue(forKey: key) }
      }
    }
    lock.unlock()
    return stream
  }
}

extension JSONValue {
  /// Compact JSON text with sorted keys.
  func compactJSON() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}
