import ArgumentParser
import Artifacts
import Cleanup
import DetectTrack
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Harvest
import Identities
import Inference
import Logging
import PipelineConfig

/// `episode-run`: the FaceHarvest command line. Stage flags run pipeline stages on one episode;
/// subcommands inspect artifacts. All logic lives in the libraries.
@main
struct EpisodeRun: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "episode-run",
    abstract: "Turn a TV episode into face identities.",
    discussion: """
      Data layout (under --data-root, default ./data or $FACEHARVEST_DATA_ROOT):
        videos/{ep_id}/episode.mp4, manifests/{ep_id}/*.jsonl|json, embeds/{ep_id}/*.npy,
        frames/{ep_id}/crops/...
      Set DEBUG_THUMBS=1 to write frames/{ep_id}/crops_debug.jsonl during --faces-embed.
      """,
    subcommands: [
      Validate.self, IdentitiesCommand.self, PeopleCommand.self, SeasonCommand.self,
      QueueCommand.self,
      WorkerCommand.self, DebugThumbs.self, BenchHarvest.self,
      BenchDetectTrack.self, BenchCluster.self,
    ]
  )

  @OptionGroup var episode: EpisodeOptions
  @OptionGroup var configFiles: ConfigOptions
  @OptionGroup(title: "Detect & track") var detectTrack: DetectTrackOptions
  @OptionGroup(title: "Faces Harvest") var harvest: HarvestOptions
  @OptionGroup(title: "Identities") var cluster: ClusterOptions
  @OptionGroup(title: "Clean-up") var cleanup: CleanupOptions

  @Flag(
    name: .customLong("show-options"),
    help: "Print the resolved options of the chosen stages as JSON and run nothing.")
  var showOptions = false

  /// The stages the flags ask to run.
  var stages: Set<PipelineStage> {
    var stages: Set<PipelineStage> = []
    if detectTrack.detectTrack { stages.insert(.detectTrack) }
    if harvest.facesEmbed { stages.insert(.facesEmbed) }
    if cluster.cluster { stages.insert(.cluster) }
    return stages
  }

  func run() throws {
    guard !stages.isEmpty || cleanup.cleanup else {
      throw ValidationError(
        "nothing to do for \(episode.epID ?? "(no --ep-id)"): pass a stage flag such as "
          + "--detect-track, --faces-embed, --cluster or --cleanup, or a subcommand (see --help)")
    }
    let episodeID = try episode.episodeID()
    // Every stage's settings are checked before the first stage starts; clean-up uses the
    // harvest's and the clustering's.
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    let resolved = try configFiles.resolve(
      stages.union(cleanup.cleanup ? [.facesEmbed, .cluster] : []),
      flags: detectTrack.overrides + harvest.overrides + cluster.overrides, manifest: manifest)
    if showOptions {
      print(try OptionsJSON.text(resolved))
      return
    }
    let cleanupActions = cleanup.cleanup ? try cleanup.resolvedActions() : nil
    if let floor = cleanup.reembedMinQuality, !(0...1).contains(floor) {
      throw ValidationError("--reembed-min-quality \(floor) is outside 0...1")
    }
    let pipeline = EpisodePipeline(
      layout: episode.layout(), episode: episodeID, manifest: manifest, options: resolved,
      logger: episode.logger("faceharvest.pipeline"))
    pipeline.decoderThreads = harvest.decoderThreads
    pipeline.inferenceThreads = harvest.inferenceThreads
    pipeline.debugThumbs = ProcessInfo.processInfo.environment["DEBUG_THUMBS"] == "1"
    pipeline.forceCluster = cluster.force
    let display = ProgressDisplay()
    defer { display.finish() }
    let signals = TerminationSignals()
    defer { signals.stop() }
    do {
      try run(
        pipeline, display: display, signals: signals, cleanupActions, episodeID, resolved, manifest)
    } catch  where signals.received != nil {
      // Interrupted: the stage removed its staging; earlier artifacts are as they were.
      display.finish()
      let number = signals.received ?? SIGTERM
      FileHandle.standardError.write(
        Data("episode-run: interrupted (\(error)); previous artifacts are untouched\n".utf8))
      throw ExitCode(128 + number)
    }
  }

  private func run(
    _ pipeline: EpisodePipeline, display: ProgressDisplay, signals: TerminationSignals,
    _ cleanupActions: [CleanupAction]?, _ episodeID: EpisodeID, _ resolved: ResolvedOptions,
    _ manifest: ModelManifest
  ) throws {
    try pipeline.run(
      stages, purpose: "episode-run " + CommandLine.arguments.dropFirst().joined(separator: " "),
      progress: { display.update($0) }, isCancelled: { signals.isCancelled },
      stageFinished: {
        display.finish()
        try print(Self.text($0, layout: episode.layout(), episode: episodeID))
      },
      afterStages: {
        guard let cleanupActions else { return }
        try runCleanup(cleanupActions, episodeID, resolved, manifest)
      })
  }

  private static func text(_ summary: StageSummary, layout: DataLayout, episode: EpisodeID) throws
    -> String
  {
    switch summary {
    case .detectTrack(let summary): return DetectTrackSummaryFormatter.text(summary)
    case .facesEmbed(let summary): return HarvestSummaryFormatter.text(summary)
    case .cluster(let summary):
      return try summary.text() + "\n"
        + ScreenTimeSummary.text(layout: layout, episode: episode)
    }
  }

  private func runCleanup(
    _ actions: [CleanupAction], _ episodeID: EpisodeID, _ resolved: ResolvedOptions,
    _ manifest: ModelManifest
  ) throws {
    let pass = EpisodeCleanup(
      layout: episode.layout(), episode: episodeID, manifest: manifest,
      logger: episode.logger("faceharvest.cleanup"))
    if let config = resolved.cluster { pass.clusterConfig = config }
    if let config = resolved.harvest { pass.harvestConfig = config }
    if let floor = cleanup.reembedMinQuality { pass.reembedMinQuality = floor }
    print(CleanupReportFormatter.text(try pass.run(actions)))
  }
}

/// Options every episode command shares.
struct EpisodeOptions: ParsableArguments {
  /// Every `--ep-id` given: one for an episode command, several for `queue submit`. (The
  /// root command parses the options of its subcommands' shared groups, so `queue submit`
  /// reads its episodes from here.)
  @Option(
    name: .customLong("ep-id"),
    help: "Episode id, e.g. sample-s01e01 (queue submit: repeat for several).")
  var epIDs: [String] = []

  /// The one `--ep-id` given, or nil.
  var epID: String? { epIDs.last }

  @Option(
    name: .customLong("data-root"), help: "Data root (default ./data or $FACEHARVEST_DATA_ROOT).")
  var dataRoot: String?

  @Flag(name: .shortAndLong, help: "Log debug details.")
  var verbose = false

  /// The validated episode id; a bad one is rejected before any file is touched.
  func episodeID() throws -> EpisodeID {
    guard let epID else { throw ValidationError("--ep-id is required") }
    guard epIDs.count == 1 else {
      throw ValidationError("--ep-id is given \(epIDs.count) times; this command takes one")
    }
    do {
      return try EpisodeID(epID)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// The data layout for the chosen root.
  func layout() -> DataLayout {
    DataLayout(
      root: DataLayout.resolveRoot(
        explicit: dataRoot, environment: ProcessInfo.processInfo.environment))
  }

  /// A logger writing to standard error at the chosen level.
  func logger(_ label: String) -> Logger {
    LoggingBootstrap.once()
    var logger = Logger(label: label)
    logger.logLevel = verbose ? .debug : .info
    return logger
  }
}

/// Bootstraps swift-log exactly once per process (the executable's job, never a library's).
enum LoggingBootstrap {
  private static let bootstrapped: Void = {
    LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
  }()

  static func once() { _ = bootstrapped }
}
