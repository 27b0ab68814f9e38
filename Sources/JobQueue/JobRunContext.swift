public import Artifacts
public import Logging
import ThreadPrimitives

/// Why a worker asked a running job to stop.
public enum StopReason: String, Sendable, Equatable {
  /// `queue cancel` asked for it (seen at a heartbeat).
  case cancelRequested = "cancel requested"
  /// The lease was lost: another worker runs the job now.
  case leaseLost = "lease lost"
  /// The worker shuts down (SIGINT/SIGTERM): the job goes back to the queue.
  case shutdown = "worker shutting down"
  /// The worker gave up on the database (away too long, or an error retrying cannot cure):
  /// the job stays `running` until its lease expires.
  case databaseFailed = "worker gave up on the database"
}

/// What a runner sees of the job it runs: the job, where to report progress, whether to stop
/// (polled between batches, as the stages poll a cancellation), and a logger naming the
/// worker, job and episode.
public final class JobRunContext: Sendable {
  /// The job, as claimed.
  public let job: QueuedJob
  /// The lease that holds it.
  public let lease: JobLease
  /// The worker's logger with `worker`, `job` and `ep_id` metadata.
  public let logger: Logger

  private struct State {
    var progress: JSONValue?
    var progressChanged = false
    var phase: String?
    var stopReason: StopReason?
  }

  private let state = Locked(State())

  /// A context for `job` held by `lease`.
  public init(job: QueuedJob, lease: JobLease, logger: Logger) {
    self.job = job
    self.lease = lease
    var logger = logger
    logger[metadataKey: "worker"] = "\(lease.worker)"
    logger[metadataKey: "job"] = "\(job.id)"
    logger[metadataKey: "ep_id"] = "\(job.epID)"
    self.logger = logger
  }

  /// Records `progress` (a JSON object); the next heartbeat writes it to the queue. A new
  /// `phase` is logged.
  public func report(_ progress: JSONValue) {
    let phase = progress["phase"]?.stringValue
    let newPhase = state.withLock { state in
      state.progress = progress
      state.progressChanged = true
      guard let phase, phase != state.phase else { return false }
      state.phase = phase
      return true
    }
    if newPhase, let phase { logger.info("phase \(phase)") }
  }

  /// Whether the job should stop at its next batch.
  public var isCancelled: Bool { state.withLock { $0.stopReason != nil } }

  /// Why the job was asked to stop, if it was.
  public var stopReason: StopReason? { state.withLock { $0.stopReason } }

  /// Asks the job to stop for `reason`; the first reason stays. True when this call asked.
  @discardableResult
  func stop(_ reason: StopReason) -> Bool {
    state.withLock { state in
      guard state.stopReason == nil else { return false }
      state.stopReason = reason
      return true
    }
  }

  /// The progress reported since the last call, or nil when nothing new.
  func takeProgress() -> JSONValue? {
    state.withLock { state in
      guard state.progressChanged else { return nil }
      state.progressChanged = false
      return state.progress
    }
  }

  /// The last progress reported.
  var lastProgress: JSONValue? { state.withLock { $0.progress } }
}

/// What a worker runs for each job it claims (the pipeline, or a test's stand-in).
public protocol QueueJobRunner: Sendable {
  /// Runs the job of `context` to its end and returns its result (a JSON object), or throws.
  /// Blocking is fine: the worker calls it on a thread of its own. It polls
  /// `context.isCancelled` between batches and stops by throwing when it is set.
  func run(_ context: JobRunContext) throws -> JSONValue
}
