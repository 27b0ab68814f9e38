public import ArgumentParser
import Artifacts
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Inference
import JobQueue
import Logging
import QueuedPipeline

/// `--database-url` (else `$FACEHARVEST_DATABASE_URL`), for the queue commands.
struct DatabaseOptions: ParsableArguments {
  @Option(
    name: .customLong("database-url"),
    help: "The job queue: postgres://user@host:port/database (else $FACEHARVEST_DATABASE_URL).")
  var databaseURL: String?

  /// The URL, or a usage error when none is given.
  func url() throws -> DatabaseURL {
    guard
      let url = try DatabaseURL.resolve(
        explicit: databaseURL, environment: ProcessInfo.processInfo.environment)
    else {
      throw ValidationError("--database-url (or $\(DatabaseURL.environmentKey)) is required")
    }
    return url
  }

  /// Opens the queue and runs `body` with it (docs/job_queue.md).
  func withQueue<Result>(logger: Logger, _ body: (JobQueue) async throws -> Result) async throws
    -> Result
  {
    try await JobQueue.withQueue(url: try url(), logger: logger, body)
  }
}

extension EpisodeOptions {
  /// The pipeline's jobs on the data root, with `config/pipeline` as the default config files.
  func pipelineJobs() throws -> PipelineJobs {
    PipelineJobs(
      layout: layout(), manifest: try ModelManifest.load(from: ModelManifest.defaultURL()),
      configDirectory: URL(fileURLWithPath: "config/pipeline"))
  }
}

/// `episode-run queue …`: the PostgreSQL job queue (docs/job_queue.md).
struct QueueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue",
    abstract: "Submit episodes to the PostgreSQL job queue, and watch, retry or cancel them.",
    discussion: "Workers (`episode-run worker`) on any number of machines run the jobs.",
    subcommands: [
      QueueSubmit.self, QueueStatus.self, QueueRetry.self, QueueCancel.self,
    ])
}

/// `episode-run queue submit`.
struct QueueSubmit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Queue one job per episode (an episode with a queued or running job keeps it).")

  @OptionGroup var database: DatabaseOptions
  @OptionGroup var episodes: EpisodeOptions

  @Option(help: "Comma-separated stages (default: detect_track,faces_embed,cluster).")
  var stages: String?

  @Option(
    name: .customLong("option"),
    help: ArgumentHelp(
      "A stage option by its config key, e.g. target_fps=4 or save_crops=true; repeat.",
      valueName: "key=value"))
  var options: [String] = []

  @Option(name: .customLong("max-attempts"), help: "Attempts before a job fails (default 3).")
  var maxAttempts = 3

  func run() async throws {
    let epIDs = episodes.epIDs
    guard !epIDs.isEmpty else { throw ValidationError("at least one --ep-id is required") }
    guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
    let stages = try QueueArguments.stages(stages)
    let options = try QueueArguments.options(options)
    let jobs = try episodes.pipelineJobs()
    // Every episode is checked before the first is queued: a typo queues nothing.
    let submissions = try epIDs.map { raw in
      let submission = JobSubmission(
        episode: try QueueArguments.episode(raw), stages: stages, options: options,
        maxAttempts: maxAttempts, submittedBy: WorkerOptions.processName)
      do {
        try jobs.check(submission)
      } catch let error as JobQueueError {
        throw ValidationError("\(error)")
      } catch {
        throw ValidationError("\(raw): \(error)")
      }
      return submission
    }
    try await database.withQueue(logger: episodes.logger("faceharvest.queue")) { queue in
      for submission in submissions {
        switch try await queue.submit(submission) {
        case .queued(let job):
          print("queued job \(job.id): \(job.epID) (\(QueueText.stages(job)))")
        case .alreadyActive(let job):
          print(
            "\(job.epID) already has job \(job.id) \(job.state.rawValue)"
              + (job.worker.map { " on \($0)" } ?? "") + ": not queued again")
        }
      }
    }
  }
}

/// `episode-run queue status`.
struct QueueStatus: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "List the queue's jobs: state, attempts, worker, progress, error, timings.")

  @OptionGroup var database: DatabaseOptions
  @OptionGroup(visibility: .hidden) var common: EpisodeOptions

  @Flag(help: "Print the jobs as JSON.")
  var json = false

  @Option(help: "Only jobs in this state (queued, running, succeeded, failed, cancelled).")
  var state: [JobQueueState] = []

  func run() async throws {
    let jobs = try await database.withQueue(logger: common.logger("faceharvest.queue")) { queue in
      try await queue.jobs(in: state.isEmpty ? nil : Set(state))
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let document = JSONValue.object(["jobs": .array(jobs.map(\.jsonValue))])
      print(String(decoding: try encoder.encode(document), as: UTF8.self))
    } else {
      print(QueueText.table(jobs, now: Date()))
    }
  }
}

extension JobQueueState: ExpressibleByArgument {}

/// `episode-run queue retry`.
struct QueueRetry: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retry",
    abstract: "Queue failed or cancelled jobs again, with their attempts reset.")

  @OptionGroup var database: DatabaseOptions
  @OptionGroup(visibility: .hidden) var common: EpisodeOptions

  @Argument(help: "Job ids.")
  var ids: [Int64] = []

  @Flag(name: .customLong("all-failed"), help: "Every failed job.")
  var allFailed = false

  func run() async throws {
    guard !ids.isEmpty || allFailed else {
      throw ValidationError("name job ids, or pass --all-failed")
    }
    try await database.withQueue(logger: common.logger("faceharvest.queue")) { queue in
      let failed = allFailed ? try await queue.jobs(in: [.failed]).map(\.id) : []
      try await QueueArguments.each(ids + failed) { id in
        let job = try await queue.retry(id)
        print("job \(job.id) (\(job.epID)) queued again")
      }
    }
  }
}

/// `episode-run queue cancel`.
struct QueueCancel: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cancel",
    abstract: "Cancel jobs: a queued one at once, a running one at its worker's next heartbeat.")

  @OptionGroup var database: DatabaseOptions
  @OptionGroup(visibility: .hidden) var common: EpisodeOptions

  @Argument(help: "Job ids.")
  var ids: [Int64]

  func run() async throws {
    try await database.withQueue(logger: common.logger("faceharvest.queue")) { queue in
      try await QueueArguments.each(ids) { id in
        let job = try await queue.cancel(id)
        print(
          job.state == .cancelled
            ? "job \(id) (\(job.epID)) cancelled"
            : "job \(id) (\(job.epID)) asked to stop: \(job.worker ?? "its worker") stops it "
              + "at its next heartbeat")
      }
    }
  }
}

/// `episode-run worker`.
struct WorkerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Run queued jobs: claim, run the stages under the episode's lock, record.",
    discussion: """
      Run one per machine (or several), all against one database and one shared data root. \
      SIGINT/SIGTERM: stop claiming, stop the running jobs at their next batch and give them \
      back to the queue (the attempt is not counted), then exit 0. A worker killed outright \
      loses its lease, and another worker runs its job again. A database that goes away is \
      retried with back-off (its jobs run on); after --database-timeout-seconds without an \
      answer the worker exits 1 naming the database, and its jobs come back to the queue when \
      their lease expires. --decoder-threads and --inference-threads set the threads of each \
      job (as for a stage run).
      """)

  @OptionGroup var database: DatabaseOptions
  @OptionGroup var common: EpisodeOptions
  /// `--decoder-threads` and `--inference-threads` per job (the root command parses them).
  @OptionGroup(visibility: .hidden) var threads: HarvestOptions

  @Option(help: "Jobs this worker runs at once.")
  var concurrency = 1

  @Flag(
    name: .customLong("exit-when-idle"),
    help: "Exit once no job is queued or running anywhere (a running job may still come back).")
  var exitWhenIdle = false

  @Option(name: .customLong("lease-seconds"), help: "How long a claim or heartbeat holds a job.")
  var leaseSeconds = 30.0

  @Option(
    name: .customLong("heartbeat-seconds"),
    help: "Between heartbeats (default: a third of the lease, at most 5).")
  var heartbeatSeconds: Double?

  @Option(name: .customLong("poll-seconds"), help: "Between claims while the queue is empty.")
  var pollSeconds = 2.0

  @Option(
    name: .customLong("retry-delay-seconds"),
    help: "Before a failed attempt's job may run again.")
  var retryDelaySeconds = 10.0

  @Option(
    name: .customLong("database-timeout-seconds"),
    help: "How long the database may be away (retried with back-off) before the worker exits 1.")
  var databaseTimeoutSeconds = 60.0

  func validate() throws {
    guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
    if let heartbeatSeconds, !(heartbeatSeconds > 0 && heartbeatSeconds < leaseSeconds) {
      throw ValidationError("--heartbeat-seconds must be above 0 and below --lease-seconds")
    }
    guard pollSeconds > 0, retryDelaySeconds >= 0 else {
      throw ValidationError("--poll-seconds must be above 0, --retry-delay-seconds at least 0")
    }
    guard databaseTimeoutSeconds > 0 else {
      throw ValidationError("--database-timeout-seconds must be above 0")
    }
  }

  func run() async throws {
    var jobs = try common.pipelineJobs()
    jobs.decoderThreads = max(0, threads.decoderThreads)
    jobs.inferenceThreads = max(0, threads.inferenceThreads)
    var options = WorkerOptions(name: WorkerOptions.processName)
    options.concurrency = concurrency
    options.leaseSeconds = leaseSeconds
    options.heartbeatSeconds = heartbeatSeconds
    options.pollSeconds = pollSeconds
    options.retryDelaySeconds = retryDelaySeconds
    options.exitWhenIdle = exitWhenIdle
    options.databaseTimeoutSeconds = databaseTimeoutSeconds
    let logger = common.logger("faceharvest.worker")
    try await database.withQueue(logger: logger) { queue in
      let worker = QueueWorker(queue: queue, options: options, runner: jobs, logger: logger)
      let task = Task { try await worker.run() }
      let signals = TerminationSignals { _ in task.cancel() }
      defer { signals.stop() }
      _ = try await task.value
    }
  }
}

/// Parsing of the queue commands' arguments.
enum QueueArguments {
  /// `--stages a,b` as stages; all when nil.
  static func stages(_ text: String?) throws -> Set<PipelineStage> {
    guard let text else { return Set(PipelineStage.allCases) }
    let stages = try text.split(separator: ",").map { name in
      guard let stage = PipelineStage(rawValue: name.trimmingCharacters(in: .whitespaces))
      else { throw ValidationError("\(JobQueueError.unknownStage(String(name)))") }
      return stage
    }
    guard !stages.isEmpty else { throw ValidationError("--stages names no stage") }
    return Set(stages)
  }

  /// `--option key=value` as option overrides: the value is read as JSON (a number, true,
  /// false, null, a quoted string), else taken as a string.
  static func options(_ pairs: [String]) throws -> [String: JSONValue] {
    var options: [String: JSONValue] = [:]
    for pair in pairs {
      guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
        throw ValidationError("--option \(pair): expected key=value")
      }
      let text = String(pair[pair.index(after: equals)...])
      options[String(pair[..<equals])] =
        (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
    }
    return options
  }

  /// A validated episode id.
  static func episode(_ raw: String) throws -> EpisodeID {
    do {
      return try EpisodeID(raw)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// Runs `body` for each id; an error for one is printed and the rest go on; exits 1 when
  /// any failed.
  static func each(_ ids: [Int64], _ body: (Int64) async throws -> Void) async throws {
    var failures = 0
    for id in ids {
      do {
        try await body(id)
      } catch let error as JobQueueError {
        failures += 1
        FileHandle.standardError.write(Data("episode-run: \(error)\n".utf8))
      }
    }
    if failures > 0 { throw ExitCode(1) }
  }
}
