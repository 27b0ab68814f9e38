import Artifacts
import FaceHarvestCore
import Foundation
public import Logging
import ThreadPrimitives

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
  /// How long the database may be away (no call answered) before the worker gives up and
  /// `run()` throws `JobQueueError.databaseGone`; meanwhile calls are retried with back-off
  /// (docs/job_queue.md, "When the database goes away").
  public var databaseTimeoutSeconds: Double = 60

  /// Options for the worker `name`.
  public init(name: String) { self.name = name }

  /// `host:pid` of this process.
  public static var processName: String {
    "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
  }

  var heartbeat: Double { heartbeatSeconds ?? min(leaseSeconds / 3, 5) }

  /// The longest one database call waits for its answer before it counts as a failure
  /// (default: 5 s, or a quarter of `databaseTimeoutSeconds` when that is shorter, so that a
  /// short time-out still sees retries; tests shorten it).
  var databaseAttemptSeconds: Double?

  /// The back-off while the database is away: 0.5 s doubling to 8 s, each attempt waiting at
  /// most `databaseAttemptSeconds` for its answer, giving up after `databaseTimeoutSeconds`.
  var retryPolicy: DatabaseRetry.Policy {
    DatabaseRetry.Policy(
      giveUpAfter: .seconds(databaseTimeoutSeconds),
      attemptTimeout: .seconds(databaseAttemptSeconds ?? min(5, databaseTimeoutSeconds / 4)))
  }
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

  /// A summary with these counts (none by default).
  public init(
    succeeded: Int = 0, failed: Int = 0, cancelled: Int = 0, released: Int = 0, lost: Int = 0
  ) {
    self.succeeded = succeeded
    self.failed = failed
    self.cancelled = cancelled
    self.released = released
    self.lost = lost
  }

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
/// jobs are stopped at their next batch and given back to the queue. A database that goes
/// away is waited for (`WorkerDatabase`): `run()` throws once it has been away
/// `databaseTimeoutSeconds`, or on a database error that is not the connection's.
public final class QueueWorker: Sendable {
  let queue: JobQueue
  let options: WorkerOptions
  let runner: any QueueJobRunner
  let logger: Logger
  let database: WorkerDatabase

  /// A worker on `queue` running jobs with `runner`.
  public init(queue: JobQueue, options: WorkerOptions, runner: any QueueJobRunner, logger: Logger) {
    self.queue = queue
    self.options = options
    self.runner = runner
    self.logger = logger
    database = WorkerDatabase(url: queue.url, policy: options.retryPolicy)
  }

  /// Runs the slots until cancelled or, with `exitWhenIdle`, until nothing is queued or
  /// running anywhere. Throws `JobQueueError.databaseGone` when the database has been away
  /// longer than `databaseTimeoutSeconds` (its running jobs stay `running` until their lease
  /// expires), or the first database error that retrying cannot cure.
  public func run() async throws -> WorkerSummary {
    logger.info(
      "worker started",
      metadata: [
        "worker": "\(options.name)", "concurrency": "\(options.concurrency)",
        "lease_s": "\(options.leaseSeconds)", "database": "\(queue.url)",
        "database_timeout_s": "\(options.databaseTimeoutSeconds)",
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
    var logger = self.logger
    logger[metadataKey: "worker"] = "\(name)"
    var summary = WorkerSummary()
    do {
      while !Task.isCancelled {
        guard let (job, lease) = try await claim(name, logger: logger) else {
          if options.exitWhenIdle, try await !hasActiveJobs(logger) { break }
          try? await Task.sleep(for: .seconds(options.pollSeconds))
          continue
        }
        summary = summary + (await execute(job, lease))
      }
    } catch  where Task.isCancelled {
      // Shutting down: a call cut short is no failure.
    }
    return summary
  }

  /// Whether a job is queued or running anywhere.
  private func hasActiveJobs(_ logger: Logger) async throws -> Bool {
    try await database.call("looking for active jobs", logger: logger) {
      try await self.queue.hasActiveJobs()
    }
  }

  /// Ends expired jobs that may not run again, then claims one; nil when none.
  private func claim(_ name: String, logger: Logger) async throws -> (QueuedJob, JobLease)? {
    let ended = try await database.call("ending jobs whose lease expired", logger: logger) {
      try await self.queue.reapExpired()
    }
    for job in ended {
      logger.warning(
        "job \(job.state.rawValue): \(job.error ?? "")",
        metadata: ["job": "\(job.id)", "ep_id": "\(job.epID)"])
    }
    let leaseSeconds = options.leaseSeconds
    return try await database.call("claiming a job", logger: logger) {
      try await self.queue.claim(worker: name, leaseSeconds: leaseSeconds)
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
    // does not inherit the cancellation. It runs on the database calls' executor, not the
    // cooperative pool, which blocking code elsewhere in the process may hold.
    return await Task(executorPreference: database.executor) {
      await self.record(outcome, context)
    }.value
  }

  /// Renews the lease and writes progress every heartbeat until cancelled; stops the job
  /// when a cancel was requested or the lease was lost, or when the worker gives up on the
  /// database. A heartbeat the database does not answer is retried (the job runs on).
  private func heartbeats(_ context: JobRunContext) async {
    let (lease, leaseSeconds) = (context.lease, options.leaseSeconds)
    while !Task.isCancelled {
      try? await Task.sleep(for: .seconds(options.heartbeat))
      if Task.isCancelled { return }
      let progress = context.takeProgress()
      do {
        let status = try await database.call(
          "renewing the lease of job \(lease.jobID)", logger: context.logger
        ) { try await self.queue.heartbeat(lease, leaseSeconds: leaseSeconds, progress: progress) }
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
        if !Task.isCancelled, context.stop(.databaseFailed) {
          context.logger.error("stopping: \(error)")
        }
        return
      }
    }
  }

  /// Writes the outcome of the job; nothing when its lease was lost or the worker gave up on
  /// the database (the job stays `running` until its lease expires).
  private func record(_ outcome: Result<JSONValue, any Error>, _ context: JobRunContext) async
    -> WorkerSummary
  {
    do {
      switch (outcome, context.stopReason) {
      case (_, .leaseLost?):
        return WorkerSummary(lost: 1)
      case (_, .databaseFailed?):
        context.logger.error(
          "left running in the queue: its lease expires and another worker runs it again")
      case (.success(let result), _):
        return try await recordSuccess(result, context)
      case (.failure(let error), let reason):
        return try await recordFailure(error, reason, context)
      }
    } catch {
      context.logger.error(
        "cannot record the outcome (the lease will expire and the job rerun): \(error)")
    }
    return WorkerSummary()
  }

  private func recordSuccess(_ result: JSONValue, _ context: JobRunContext) async throws
    -> WorkerSummary
  {
    let (lease, progress) = (context.lease, context.lastProgress)
    let succeeded = try await write("finishing", context) {
      try await self.queue.succeed(lease, result: result, progress: progress)
    }
    guard succeeded else {
      context.logger.warning("finished, but the lease was lost: the job runs again elsewhere")
      return WorkerSummary(lost: 1)
    }
    context.logger.info("succeeded")
    return WorkerSummary(succeeded: 1)
  }

  /// A job that threw: given back when the worker shuts down, cancelled when asked, else a
  /// failed attempt.
  private func recordFailure(_ error: any Error, _ reason: StopReason?, _ context: JobRunContext)
    async throws -> WorkerSummary
  {
    let lease = context.lease
    switch reason {
    case .shutdown?:
      _ = try await write("releasing", context) {
        try await self.queue.release(lease, reason: "released by \(lease.worker) (shutting down)")
      }
      context.logger.info("released: back in the queue, attempt not counted")
      return WorkerSummary(released: 1)
    case .cancelRequested?:
      _ = try await write("cancelling", context) {
        try await self.queue.markCancelled(
          lease, reason: "cancelled while running on \(lease.worker)")
      }
      context.logger.info("cancelled")
      return WorkerSummary(cancelled: 1)
    default:
      let (text, delay) = (
        "attempt \(lease.attempt) on \(lease.worker): \(error)", options.retryDelaySeconds
      )
      let state = try await write("failing", context) {
        try await self.queue.fail(lease, error: text, retryDelaySeconds: delay)
      }
      let next = state.map { $0 == .failed ? "failed for good" : "will retry" } ?? "lease lost"
      context.logger.error("attempt failed (\(next)): \(error)")
      return WorkerSummary(failed: 1)
    }
  }

  /// One write of the job's outcome (`verb`: "finishing", …), through the worker's retries.
  private func write<T: Sendable>(
    _ verb: String, _ context: JobRunContext, _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    try await database.call("\(verb) job \(context.lease.jobID)", logger: context.logger, body)
  }
}
