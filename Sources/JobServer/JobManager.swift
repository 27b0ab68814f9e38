import Artifacts
import Foundation
import Logging
import ServiceLifecycle

/// An error a job request gets before it is queued.
public enum JobRequestError: Error, CustomStringConvertible {
  /// 400: the body or a parameter is invalid.
  case badRequest(String)
  /// 404: no such episode or job.
  case notFound(String)
  /// 409: the same stage already runs (or waits) for this episode.
  case conflict(jobID: String)

  public var description: String {
    switch self {
    case .badRequest(let detail): return detail
    case .notFound(let detail): return detail
    case .conflict(let jobID): return "job \(jobID) already runs this stage for the episode"
    }
  }
}

/// Runs jobs in the server process, at most `maxConcurrentJobs` at a time, each on its own
/// thread (the stages are blocking code). Later jobs wait in order. Keeps the most recent
/// `history` jobs for `GET /jobs`.
public final class JobManager: @unchecked Sendable {
  /// Jobs that may run at once.
  public let maxConcurrentJobs: Int
  /// Finished jobs kept for `GET /jobs` and `GET /jobs/{id}`.
  public let history: Int
  private let logger: Logger
  private let lock = NSLock()
  private var jobs: [String: Job] = [:]
  private var order: [String] = []
  private var waiting: [Job] = []
  private var running = 0
  private var nextNumber = 1
  private let idle = NSCondition()

  /// A manager running up to `maxConcurrentJobs` jobs at once.
  public init(maxConcurrentJobs: Int = 1, history: Int = 100, logger: Logger) {
    self.maxConcurrentJobs = max(1, maxConcurrentJobs)
    self.history = max(1, history)
    self.logger = logger
  }

  /// Queues `work` as a job of `kind` on `episode`; 409 when one of the same kind is queued or
  /// running for the episode.
  public func submit(
    kind: JobKind, episode: EpisodeID, work: @escaping @Sendable (Job) throws -> [String]
  ) throws -> Job {
    lock.lock()
    defer { lock.unlock() }
    if let existing = order.lazy.compactMap({ self.jobs[$0] }).first(where: {
      $0.kind == kind && $0.episode == episode && !$0.state.isFinal
    }) {
      throw JobRequestError.conflict(jobID: existing.id)
    }
    let job = Job(
      id: String(format: "job-%06d", nextNumber), kind: kind, episode: episode, work: work)
    nextNumber += 1
    jobs[job.id] = job
    order.append(job.id)
    trimHistory()
    waiting.append(job)
    startWaiting()
    return job
  }

  /// The job with `id`.
  public func job(_ id: String) -> Job? { lock.withLock { jobs[id] } }

  /// The most recent jobs, newest first.
  public func recent(limit: Int = 50) -> [Job] {
    lock.withLock { order.suffix(max(0, limit)).reversed().compactMap { jobs[$0] } }
  }

  /// Asks a job to stop: a queued one ends at once, a running one at its next batch.
  public func cancel(_ id: String) -> Job? {
    lock.lock()
    guard let job = jobs[id] else {
      lock.unlock()
      return nil
    }
    job.requestCancel()
    let wasWaiting = waiting.contains { $0 === job }
    waiting.removeAll { $0 === job }
    lock.unlock()
    if wasWaiting {
      job.finish(state: .cancelled, result: nil, summary: nil, error: "cancelled before it started")
    }
    return job
  }

  /// Cancels every job and waits for the running ones to stop (graceful shutdown).
  public func shutdown() {
    let all = lock.withLock { Array(jobs.keys) }
    for id in all { _ = cancel(id) }
    idle.lock()
    while lock.withLock({ running }) > 0 { _ = idle.wait(until: Date().addingTimeInterval(0.1)) }
    idle.unlock()
  }

  private func trimHistory() {
    while order.count > history {
      guard let index = order.firstIndex(where: { jobs[$0]?.state.isFinal ?? true }) else { break }
      jobs.removeValue(forKey: order[index])
      order.remove(at: index)
    }
  }

  /// Starts waiting jobs while slots are free (called with the lock held).
  private func startWaiting() {
    while running < maxConcurrentJobs, !waiting.isEmpty {
      let job = waiting.removeFirst()
      running += 1
      let thread = Thread { [self] in
        execute(job)
        lock.withLock {
          running -= 1
          startWaiting()
        }
        idle.lock()
        idle.broadcast()
        idle.unlock()
      }
      thread.name = "job \(job.id)"
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  private func execute(_ job: Job) {
    guard !job.isCancelled else {
      job.finish(state: .cancelled, result: nil, summary: nil, error: "cancelled")
      return
    }
    job.setRunning()
    logger.info("job started", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)"])
    do {
      // Work that returns has written everything, even if a cancel arrived meanwhile.
      let result = try job.work(job)
      job.finish(state: .succeeded, result: result, summary: job.summary, error: nil)
    } catch {
      job.finish(
        state: job.isCancelled ? .cancelled : .failed, result: nil, summary: nil,
        error: "\(error)")
    }
    logger.info("job ended", metadata: ["job": "\(job.id)", "state": "\(job.state.rawValue)"])
  }
}

/// Cancels every job cleanly when the server shuts down (a ServiceLifecycle service).
public struct JobManagerService: Service {
  let manager: JobManager

  /// Wraps `manager`.
  public init(manager: JobManager) { self.manager = manager }

  /// Waits for graceful shutdown, then cancels the jobs and waits for them to stop.
  public func run() async throws {
    try? await gracefulShutdown()
    let manager = self.manager
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      Thread {
        manager.shutdown()
        continuation.resume()
      }.start()
    }
  }
}
