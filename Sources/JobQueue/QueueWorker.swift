import Artifacts
import Foundation
public import Logging
import StagePipeline

/// How a worker claims and holds jobs (docs/job_queue.md, "Workers").
public struct WorkerOptions: Sendable {
  /// The worker's name, `host:pid`; each slot adds `:slot`.
  public var name: String
  /// Jobs run at once (slots).
  public var concurrency = 1
  /// How long a claim or heartbeat holds a job.
  public var leaseSeconds: Double = 30
  /// Between heartbeats (default: a third of the lease, at most 5 s).
  public var heartbeatSeconds: Double?
  /// Between claims while nothing is claimable.
  public var pollSeconds: Double = 2
  /// Before a failed attempt's job may be claimed again.
  public var retryDelaySeconds: Double = 10
  /// Stop once no job is queued or running anywhere.
  public var exitWhenIdle = false

  /// Options for the worker `name`.
  public init(name: String) { self.name = name }

  /// `host:pid` of this process.
  public static var processName: String {
    "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
  }

  var heartbeat: Double { heartbeatSeconds ?? min(leaseSeconds / 3, 5) }
}

/// What a worker did, by outcome of each job it claimed.
public struct WorkerSummary: Sendable, Equatable, CustomStringConvertible {
  /// Jobs it finished.
  public var succeeded = 0
  /// Attempts that failed (the job queued again or failed for good).
  public var failed = 0
  /// Jobs it stopped on `queue cancel`.
  public var cancelled = 0
  /// Jobs it gave back on shutdown.
  public var released = 0
  /// Jobs whose lease it lost (another worker runs them).
  public var lost = 0

  /// An empty summary.
  public init() {}

  static func + (lhs: Self, rhs: Self) -> Self {
    var sum = lhs
    sum.succeeded += rhs.succeeded
    sum.failed += rhs.failed
    sum.cancelled += rhs.cancelled
    sum.released += rhs.released
    sum.lost += rhs.lost
    return sum
  }

  public var description: String {
    "\(succeeded) succeeded, \(failed) failed attempt(s), \(cancelled) cancelled, "
      + "\(released) released, \(lost) lost"
  }
}

/// A worker: `concurrency` slots, each claiming a job, running it through the runner on a
/// thread of its own while a heartbeat renews the lease and writes progress, and recording
/// the outcome. Cancel the task running `run()` to shut down: slots stop claiming, running
/// jobs are stopped at their next batch and given back to the queue.
public final class QueueWorker: Sendable {
  let queue: JobQueue
  let options: WorkerOptions
  let runner: any QueueJobRunner
  let logger: Logger

  /// A worker on `queue` running jobs with `runner`.
  public init(queue: JobQueue, options: WorkerOptions, runner: any QueueJobRunner, logger: Logger) {
    self.queue = queue
    self.options = options
    self.runner = runner
    self.logger = logger
  }

  /// Runs the slots until cancelled or, with `exitWhenIdle`, until nothing is queued or
  /// running anywhere.
  public func run() async throws -> WorkerSummary {
    logger.info(
      "worker started",
      metadata: [
        "worker": "\(options.name)", "concurrency": "\(options.concurrency)",
        "lease_s": "\(options.leaseSeconds)", "database": "\(queue.url)",
      ])
    let summary = try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
      for slot in 1...max(1, options.concurrency) {
        group.addTask { try await self.slot("\(self.options.name):\(slot)") }
      }
      return try await group.reduce(WorkerSummary(), +)
    }
    logger.info("worker stopped: \(summary)", metadata: ["worker": "\(options.name)"])
    return summary
  }

  private func slot(_ name: String) async throws -> WorkerSummary {
    var summary = WorkerSummary()
    while !Task.isCancelled {
      guard let (job, lease) = await claim(name) else {
        if options.exitWhenIdle, (try? await queue.hasActiveJobs()) == false { break }
        try? await Task.sleep(for: .seconds(options.pollSeconds))
        continue
      }
      summary = summary + (await execute(job, lease))
    }
    return summary
  }

  /// Ends expired jobs that may not run again, then claims one; nil when none (or the
  /// database did not answer: logged, and the slot polls again).
  private func claim(_ name: String) async -> (QueuedJob, JobLease)? {
    do {
      for ended in try await queue.reapExpired() {
        logger.warning(
          "job \(ended.state.rawValue): \(ended.error ?? "")",
          metadata: ["worker": "\(name)", "job": "\(ended.id)", "ep_id": "\(ended.epID)"])
      }
      return try await queue.claim(worker: name, leaseSeconds: options.leaseSeconds)
    } catch {
      if !Task.isCancelled {
        logger.error("cannot claim: \(error)", metadata: ["worker": "\(name)"])
      }
      return nil
    }
  }

  /// Runs one claimed job with its heartbeat, then records the outcome.
  private func execute(_ job: QueuedJob, _ lease: JobLease) async -> WorkerSummary {
    let context = JobRunContext(job: job, lease: lease, logger: logger)
    let stages = job.stages.map(\.rawValue).joined(separator: ",")
    context.logger.info(
      "claimed: attempt \(lease.attempt) of \(job.maxAttempts), stages \(stages)")
    let runner = self.runner
    let outcome = await withTaskGroup(of: Result<JSONValue, any Error>?.self) { group in
      group.addTask {
        await self.heartbeats(context)
        return nil
      }
      group.addTask {
        await withTaskCancellationHandler {
          do {
            return .success(try await runOnOwnThread { try runner.run(context) })
          } catch {
            return .failure(error)
          }
        } onCancel: {
          if context.stop(.shutdown) { context.logger.info("stopping: worker shutting down") }
        }
      }
      var outcome: Result<JSONValue, any Error> = .failure(CancellationError())
      for await result in group {
        guard let result else { continue }
        outcome = result
        group.cancelAll()
      }
      return outcome
    }
    // The outcome is recorded even when the worker is shutting down: an unstructured task
    // does not inherit the cancellation.
    return await Task { await self.record(outcome, context) }.value
  }

  /// Renews the lease and writes progress every heartbeat until cancelled; stops the job
  /// when a cancel was requested or the lease was lost.
  private func heartbeats(_ context: JobRunContext) async {
    while !Task.isCancelled {
      try? await Task.sleep(for: .seconds(options.heartbeat))
      if Task.isCancelled { return }
      do {
        let status = try await queue.heartbeat(
          context.lease, leaseSeconds: options.leaseSeconds, progress: context.takeProgress())
        switch status {
        case .held(cancelRequested: true):
          if context.stop(.cancelRequested) { context.logger.info("stopping: cancel requested") }
        case .held:
          context.logger.debug(
            "heartbeat", metadata: ["progress": "\(context.lastProgress ?? .null)"])
        case .lost:
          if context.stop(.leaseLost) {
            context.logger.warning("lease lost: another worker runs the job now; stopping")
          }
          return
        }
      } catch {
        if Task.isCancelled { return }
        context.logger.warning("heartbeat failed (the lease runs on): \(error)")
      }
    }
  }

  private func record(_ outcome: Result<JSONValue, any Error>, _ context: JobRunContext) async
    -> WorkerSummary
  {
    var summary = WorkerSummary()
    let lease = context.lease
    let logger = context.logger
    do {
      switch (outcome, context.stopReason) {
      case (_, .leaseLost?):
        summary.lost = 1
      case (.success(let result), _):
        if try await queue.succeed(lease, result: result, progress: context.lastProgress) {
          summary.succeeded = 1
          logger.info("succeeded")
        } else {
          summary.lost = 1
          logger.warning("finished, but the lease was lost: the job runs again elsewhere")
        }
      case (.failure, .shutdown?):
        summary.released = 1
        _ = try await queue.release(lease, reason: "released by \(lease.worker) (shutting down)")
        logger.info("released: back in the queue, attempt not counted")
      case (.failure, .cancelRequested?):
        summary.cancelled = 1
        _ = try await queue.markCancelled(
          lease, reason: "cancelled while running on \(lease.worker)")
        logger.info("cancelled")
      case (.failure(let error), nil):
        summary.failed = 1
        let text = "attempt \(lease.attempt) on \(lease.worker): \(error)"
        let state = try await queue.fail(
          lease, error: text, retryDelaySeconds: options.retryDelaySeconds)
        logger.error(
          "attempt failed (\(state.map { $0 == .failed ? "failed for good" : "will retry" } ?? "lease lost")): \(error)"
        )
      }
    } catch {
      logger.error("cannot record the outcome (the lease will expire and the job rerun): \(error)")
    }
    return summary
  }
}
