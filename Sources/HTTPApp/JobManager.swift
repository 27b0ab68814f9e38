public import Artifacts
import Foundation
import JobQueue
public import Logging
public import ServiceLifecycle
import ThreadPrimitives

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
public final class JobManager: Sendable {
  /// Jobs that may run at once.
  public let maxConcurrentJobs: Int
  /// Finished jobs kept for `GET /jobs` and `GET /jobs/{id}`.
  public let history: Int
  private let logger: Logger

  /// The jobs known, in submission order, and the queue, behind one lock.
  private struct Queue {
    var jobs: [String: Job] = [:]
    var order: [String] = []
    var waiting: [Job] = []
    var running = 0
    var nextNumber = 1
  }

  private let queue = Locked(Queue())
  /// Signalled each time a running job ends (shutdown waits on it).
  private let jobEnded = NSCondition()

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
    let (job, started) = try queue.withLock { queue in
      if let existing = queue.order.compactMap({ queue.jobs[$0] }).first(where: {
        $0.kind == kind && $0.episode == episode && !$0.state.isFinal
      }) {
        throw JobRequestError.conflict(jobID: existing.id)
      }
      let job = Job(
        id: String(format: "job-%06d", queue.nextNumber), kind: kind, episode: episode,
        work: work)
      queue.nextNumber += 1
      queue.jobs[job.id] = job
      queue.order.append(job.id)
      trimHistory(&queue)
      queue.waiting.append(job)
      return (job, takeStartable(&queue))
    }
    for job in started { start(job) }
    return job
  }

  /// The job with `id`.
  public func job(_ id: String) -> Job? { queue.withLock { $0.jobs[id] } }

  /// The most recent jobs, newest first.
  public func recent(limit: Int = 50) -> [Job] {
    queue.withLock { queue in
      queue.order.suffix(max(0, limit)).reversed().compactMap { queue.jobs[$0] }
    }
  }

  /// Asks a job to stop: a queued one ends at once, a running one at its next batch.
  public func cancel(_ id: String) -> Job? {
    let found: (job: Job, wasWaiting: Bool)? = queue.withLock { queue in
      guard let job = queue.jobs[id] else { return nil }
      job.requestCancel()
      let wasWaiting = queue.waiting.contains { $0 === job }
      queue.waiting.removeAll { $0 === job }
      return (job, wasWaiting)
    }
    guard let found else { return nil }
    if found.wasWaiting {
      found.job.finish(
        state: .cancelled, result: nil, summary: nil, error: "cancelled before it started")
    }
    return found.job
  }

  /// Cancels every job and waits for the running ones to stop (graceful shutdown).
  public func shutdown() {
    let all = queue.withLock { Array($0.jobs.keys) }
    for id in all { _ = cancel(id) }
    // A job's thread lowers `running`, then signals under `jobEnded`'s lock: checking and
    // waiting under that lock cannot miss the last signal.
    jobEnded.lock()
    while queue.withLock({ $0.running }) > 0 { jobEnded.wait() }
    jobEnded.unlock()
  }

  private func trimHistory(_ queue: inout Queue) {
    while queue.order.count > history {
      guard
        let index = queue.order.firstIndex(where: { queue.jobs[$0]?.state.isFinal ?? true })
      else { break }
      queue.jobs.removeValue(forKey: queue.order[index])
      queue.order.remove(at: index)
    }
  }

  /// Takes the waiting jobs that free slots allow, counting them as running.
  private func takeStartable(_ queue: inout Queue) -> [Job] {
    var started: [Job] = []
    while queue.running < maxConcurrentJobs, !queue.waiting.isEmpty {
      started.append(queue.waiting.removeFirst())
      queue.running += 1
    }
    return started
  }

  /// Runs `job` on a thread of its own; when it ends, the next waiting jobs start.
  private func start(_ job: Job) {
    let thread = Thread { [self] in
      execute(job)
      let next = queue.withLock { queue in
        queue.running -= 1
        return takeStartable(&queue)
      }
      for job in next { start(job) }
      jobEnded.lock()
      jobEnded.broadcast()
      jobEnded.unlock()
    }
    thread.name = "job \(job.id)"
    thread.stackSize = 8 << 20
    thread.start()
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
    await runOnOwnThread { manager.shutdown() }
  }
}
