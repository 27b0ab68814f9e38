public import Artifacts
public import FaceHarvestCore
import Foundation
public import Logging
import PostgresNIO

/// A new job for the queue: an episode, its stages and option overrides.
public struct JobSubmission: Sendable {
  /// The episode.
  public var episode: EpisodeID
  /// The stages to run (in pipeline order whatever the order given).
  public var stages: Set<PipelineStage>
  /// Option overrides by config key, resolved by each worker over its `config/pipeline`.
  public var options: [String: JSONValue]
  /// Attempts before the job fails.
  public var maxAttempts: Int
  /// Who submits (`host:pid`, or the server), for `queue status`.
  public var submittedBy: String

  /// A submission of `stages` (default: all) on `episode`.
  public init(
    episode: EpisodeID, stages: Set<PipelineStage> = Set(PipelineStage.allCases),
    options: [String: JSONValue] = [:], maxAttempts: Int = 3, submittedBy: String
  ) {
    self.episode = episode
    self.stages = stages
    self.options = options
    self.maxAttempts = max(1, maxAttempts)
    self.submittedBy = submittedBy
  }
}

/// What `submit` did.
public enum SubmitOutcome: Sendable, Equatable {
  /// A new job.
  case queued(QueuedJob)
  /// The episode already had a queued or running job (one writer per episode): that one.
  case alreadyActive(QueuedJob)

  /// The job either way.
  public var job: QueuedJob {
    switch self {
    case .queued(let job), .alreadyActive(let job): job
    }
  }
}

/// What holds a running job: its id, its worker and the attempt it claimed. Every write a
/// worker makes checks all three, so a worker whose lease was taken over writes nothing.
public struct JobLease: Sendable, Equatable, CustomStringConvertible {
  /// The job.
  public let jobID: Int64
  /// The worker (`host:pid:slot`).
  public let worker: String
  /// The attempt the claim started.
  public let attempt: Int

  public var description: String { "job \(jobID) attempt \(attempt) on \(worker)" }
}

/// What a heartbeat found.
public enum LeaseStatus: Sendable, Equatable {
  /// The lease is renewed; `cancelRequested` when `queue cancel` asked the job to stop.
  case held(cancelRequested: Bool)
  /// The job is no longer this worker's (its lease expired and another worker took it, or
  /// it was reset): the worker must stop it and write nothing more.
  case lost
}

/// The PostgreSQL job queue (docs/job_queue.md): submit, claim with `FOR UPDATE SKIP LOCKED`,
/// lease and heartbeat, progress, finish, retry, cancel, status. Every operation is one
/// statement, so no transaction is left open between calls; the schema is created and
/// migrated when the queue is opened.
public final class JobQueue: Sendable {
  /// The database (its description has no password).
  public let url: DatabaseURL
  let client: PostgresClient
  let logger: Logger

  private init(url: DatabaseURL, client: PostgresClient, logger: Logger) {
    self.url = url
    self.client = client
    self.logger = logger
  }

  /// Opens the queue at `url`, runs `body` with it, then closes it. Opening connects once
  /// (an unreachable server or a refused login is `JobQueueError.unreachable`, naming the URL,
  /// at once rather than after the pool's retries) and migrates the schema.
  public static func withQueue<Result>(
    url: DatabaseURL, logger: Logger, _ body: (JobQueue) async throws -> Result
  ) async throws -> Result {
    try await migrate(url: url, logger: logger)
    // The pool's background chatter stays out of the logs (its errors come back through the
    // queries that meet them).
    var quiet = logger
    quiet.logLevel = max(logger.logLevel, .error)
    let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: quiet)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await client.run() }
      defer { group.cancelAll() }
      return try await body(JobQueue(url: url, client: client, logger: logger))
    }
  }

  /// Connects to `url` and brings the schema up to date; returns the version found before.
  @discardableResult
  public static func migrate(url: DatabaseURL, logger: Logger) async throws -> Int {
    var quiet = logger
    quiet.logLevel = max(logger.logLevel, .warning)
    let connection: PostgresConnection
    do {
      connection = try await PostgresConnection.connect(
        configuration: url.connectionConfiguration(), id: 1, logger: quiet)
    } catch {
      throw JobQueueError.unreachable(url: url.description, reason: JobQueueError.detail(error))
    }
    do {
      let found = try await JobQueueError.wrapping("migrating the schema") {
        try await QueueSchema.migrate(on: connection, logger: quiet)
      }
      try? await connection.close()
      return found
    } catch {
      try? await connection.close()
      throw error
    }
  }

  // MARK: Submitting

  /// Queues `submission`, unless its episode has a queued or running job: then that job.
  public func submit(_ submission: JobSubmission) async throws -> SubmitOutcome {
    let stages = submission.stages.sorted().map(\.rawValue)
    let options = try Self.text(.object(submission.options))
    let epID = submission.episode.rawValue
    // A racing finish can end the active job between the two statements: look again.
    for _ in 0..<3 {
      if let job = try await jobs(
        """
        INSERT INTO faceharvest.jobs (ep_id, stages, options, max_attempts, submitted_by)
        VALUES (\(epID), \(stages), \(options)::jsonb, \(submission.maxAttempts),
          \(submission.submittedBy))
        ON CONFLICT (ep_id) WHERE state IN ('queued', 'running') DO NOTHING
        RETURNING \(unescaped: QueuedJob.columns)
        """, "submitting \(epID)"
      ).first {
        logger.debug("job submitted", metadata: ["job": "\(job.id)", "ep_id": "\(epID)"])
        return .queued(job)
      }
      if let active = try await jobs(
        """
        SELECT \(unescaped: QueuedJob.columns) FROM faceharvest.jobs
        WHERE ep_id = \(epID) AND state IN ('queued', 'running')
        """, "submitting \(epID)"
      ).first {
        return .alreadyActive(active)
      }
    }
    throw JobQueueError.database(
      operation: "submitting \(epID)", detail: "the episode's active job kept changing")
  }

  // MARK: Claiming and holding

  /// Ends the running jobs whose lease expired and that may not run again (no attempts left:
  /// `failed`, "worker W lost its lease"; cancel requested: `cancelled`); returns them.
  public func reapExpired() async throws -> [QueuedJob] {
    try await jobs(
      """
      UPDATE faceharvest.jobs SET
        state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
        error = CASE WHEN cancel_requested
          THEN 'cancelled; worker ' || coalesce(worker, '?') || ' lost its lease'
          ELSE 'worker ' || coalesce(worker, '?') || ' lost its lease on attempt ' || attempts
            || ' of ' || max_attempts || ' (killed, or cut off from the database)' END,
        finished_at = now(), lease_expires_at = NULL
      WHERE state = 'running' AND lease_expires_at < now()
        AND (attempts >= max_attempts OR cancel_requested)
      RETURNING \(unescaped: QueuedJob.columns)
      """, "ending jobs whose lease expired")
  }

  /// Claims the oldest claimable job for `worker`: one queued (and due), or one running whose
  /// lease expired with attempts left. Locks the row with `FOR UPDATE SKIP LOCKED`, so
  /// concurrent claimers never get the same job, counts the attempt and starts a lease of
  /// `leaseSeconds`. Nil when there is none.
  public func claim(worker: String, leaseSeconds: Double) async throws -> (QueuedJob, JobLease)? {
    let claimed = try await jobs(
      """
      UPDATE faceharvest.jobs SET
        state = 'running', attempts = attempts + 1, worker = \(worker),
        lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
        heartbeat_at = now(), started_at = now(), finished_at = NULL, progress = NULL,
        error = CASE WHEN state = 'running'
          THEN 'worker ' || coalesce(worker, '?') || ' lost its lease on attempt ' || attempts
          ELSE error END
      WHERE id = (
        SELECT id FROM faceharvest.jobs
        WHERE (state = 'queued' AND run_after <= now())
          OR (state = 'running' AND lease_expires_at < now() AND attempts < max_attempts
            AND NOT cancel_requested)
        ORDER BY id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
      RETURNING \(unescaped: QueuedJob.columns)
      """, "claiming a job"
    ).first
    return claimed.map { ($0, JobLease(jobID: $0.id, worker: worker, attempt: $0.attempts)) }
  }

  /// Renews `lease` for `leaseSeconds` from now and records `progress` (when not nil).
  public func heartbeat(_ lease: JobLease, leaseSeconds: Double, progress: JSONValue?)
    async throws -> LeaseStatus
  {
    let progressText = try progress.map { try Self.text($0) }
    let rows = try await JobQueueError.wrapping("renewing the lease of job \(lease.jobID)") {
      try await client.query(
        """
        UPDATE faceharvest.jobs SET
          lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
          heartbeat_at = now(), progress = coalesce(\(progressText)::jsonb, progress)
        WHERE id = \(lease.jobID) AND worker = \(lease.worker) AND attempts = \(lease.attempt)
          AND state = 'running'
        RETURNING cancel_requested
        """, logger: logger)
    }
    for try await cancel in rows.decode(Bool.self) { return .held(cancelRequested: cancel) }
    return .lost
  }

  /// Ends `lease`'s job as succeeded with `result`; false when the lease was lost (another
  /// worker runs the job again: at-least-once, docs/job_queue.md). Safe to repeat: a call
  /// whose answer was lost with its connection, repeated, finds the job its own lease ended
  /// `succeeded` and says true again.
  public func succeed(_ lease: JobLease, result: JSONValue, progress: JSONValue?) async throws
    -> Bool
  {
    try await update(
      lease,
      """
      state = 'succeeded', finished_at = coalesce(finished_at, now()), lease_expires_at = NULL,
      result = \(try Self.text(result))::jsonb,
      progress = coalesce(\(try progress.map { try Self.text($0) })::jsonb, progress)
      """, "finishing job \(lease.jobID)", heldIn: [.running, .succeeded]) != nil
  }

  /// Records a failed attempt of `lease`'s job: back to `queued` after `retryDelaySeconds`
  /// while attempts are left, else `failed`; `error` is kept either way. Returns the new
  /// state, nil when the lease was lost.
  public func fail(_ lease: JobLease, error: String, retryDelaySeconds: Double) async throws
    -> JobQueueState?
  {
    try await update(
      lease,
      """
      state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
      finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
      run_after = now() + make_interval(secs => \(retryDelaySeconds)),
      lease_expires_at = NULL, error = \(error)
      """, "failing job \(lease.jobID)")
  }

  /// Ends `lease`'s job as cancelled (its worker stopped it after `queue cancel`).
  public func markCancelled(_ lease: JobLease, reason: String) async throws -> Bool {
    try await update(
      lease,
      """
      state = 'cancelled', finished_at = now(), lease_expires_at = NULL, error = \(reason)
      """, "cancelling job \(lease.jobID)") != nil
  }

  /// Gives `lease`'s job back (its worker shuts down): `queued` at once, the attempt not
  /// counted; `cancelled` when a cancel was requested meanwhile.
  public func release(_ lease: JobLease, reason: String) async throws -> Bool {
    try await update(
      lease,
      """
      state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
      finished_at = CASE WHEN cancel_requested THEN now() END,
      attempts = attempts - 1, run_after = now(), lease_expires_at = NULL, error = \(reason)
      """, "releasing job \(lease.jobID)") != nil
  }

  /// Applies `assignments` to the job `lease` holds (its state one of `states`: `running`
  /// unless said); the new state, nil when not held.
  private func update(
    _ lease: JobLease, _ assignments: PostgresQuery, _ operation: String,
    heldIn states: [JobQueueState] = [.running]
  ) async throws -> JobQueueState? {
    var binds = assignments.binds
    let first = binds.count + 1
    binds.append(lease.jobID)
    binds.append(lease.worker)
    binds.append(lease.attempt)
    binds.append(states.map(\.rawValue))
    let query = PostgresQuery(
      unsafeSQL: """
        UPDATE faceharvest.jobs SET \(assignments.sql)
        WHERE id = $\(first) AND worker = $\(first + 1) AND attempts = $\(first + 2)
          AND state = ANY($\(first + 3))
        RETURNING \(QueuedJob.columns)
        """, binds: binds)
    return try await jobs(query, operation).first?.state
  }

  // MARK: Operators

  /// Puts failed or cancelled jobs back in the queue with their attempts reset.
  public func retry(_ id: Int64) async throws -> QueuedJob {
    let retried = try await jobs(
      """
      UPDATE faceharvest.jobs SET state = 'queued', attempts = 0, run_after = now(),
        cancel_requested = false, finished_at = NULL, lease_expires_at = NULL, progress = NULL,
        error = NULL, result = NULL
      WHERE id = \(id) AND state IN ('failed', 'cancelled')
        AND NOT EXISTS (SELECT 1 FROM faceharvest.jobs AS active
          WHERE active.ep_id = jobs.ep_id AND active.state IN ('queued', 'running'))
      RETURNING \(unescaped: QueuedJob.columns)
      """, "retrying job \(id)"
    ).first
    if let retried { return retried }
    let job = try await existing(id)
    guard job.state == .failed || job.state == .cancelled else {
      throw JobQueueError.notAllowed(job: id, state: job.state, action: "retried")
    }
    let active = try await jobs(
      """
      SELECT \(unescaped: QueuedJob.columns) FROM faceharvest.jobs
      WHERE ep_id = \(job.epID) AND state IN ('queued', 'running')
      """, "retrying job \(id)")
    throw JobQueueError.episodeActive(epID: job.epID, job: active.first?.id ?? 0)
  }

  /// Cancels a job: a queued one at once; a running one is asked to stop, and its worker
  /// stops it at its next heartbeat (or, should the worker be gone, when its lease expires).
  public func cancel(_ id: Int64) async throws -> QueuedJob {
    let cancelled = try await jobs(
      """
      UPDATE faceharvest.jobs SET
        state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
        cancel_requested = (state = 'running'),
        finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
        error = CASE WHEN state = 'queued' THEN 'cancelled before it started' ELSE error END
      WHERE id = \(id) AND state IN ('queued', 'running')
      RETURNING \(unescaped: QueuedJob.columns)
      """, "cancelling job \(id)"
    ).first
    if let cancelled { return cancelled }
    let job = try await existing(id)
    throw JobQueueError.notAllowed(job: id, state: job.state, action: "cancelled")
  }

  /// Every job in id order, or those in `states`.
  public func jobs(in states: Set<JobQueueState>? = nil) async throws -> [QueuedJob] {
    let names = (states ?? Set(JobQueueState.allCases)).map(\.rawValue)
    return try await jobs(
      """
      SELECT \(unescaped: QueuedJob.columns) FROM faceharvest.jobs
      WHERE state = ANY(\(names)) ORDER BY id
      """, "listing jobs")
  }

  /// The job with `id`, or nil.
  public func job(_ id: Int64) async throws -> QueuedJob? {
    try await jobs(
      "SELECT \(unescaped: QueuedJob.columns) FROM faceharvest.jobs WHERE id = \(id)",
      "reading job \(id)"
    ).first
  }

  /// Whether any job is queued or running (a worker with `exitWhenIdle` waits for none).
  public func hasActiveJobs() async throws -> Bool {
    try await JobQueueError.wrapping("looking for active jobs") {
      let rows = try await client.query(
        """
        SELECT EXISTS (SELECT 1 FROM faceharvest.jobs WHERE state IN ('queued', 'running'))
        """, logger: logger)
      for try await active in rows.decode(Bool.self) { return active }
      return false
    }
  }

  private func existing(_ id: Int64) async throws -> QueuedJob {
    guard let job = try await job(id) else { throw JobQueueError.noSuchJob(id) }
    return job
  }

  private func jobs(_ query: PostgresQuery, _ operation: String) async throws -> [QueuedJob] {
    try await JobQueueError.wrapping(operation) {
      var jobs: [QueuedJob] = []
      for try await row in try await client.query(query, logger: logger) {
        jobs.append(try QueuedJob(row: row))
      }
      return jobs
    }
  }

  /// `value` as compact JSON text with sorted keys.
  static func text(_ value: JSONValue) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
