import ArgumentParser
import Artifacts
import Cleanup
import DetectTrack
import Foundation
import Harvest
import Identities
import Inference
import Logging
import PipelineConfig

/// `episode-run`: the FaceHarvest command line. Stage flags run pipeline stages on one episode;
/// subcommands inspect artifacts. All logic lives in the libraries.
@main
struct EpisodeRun: ParsableCommand {
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
      Validate.self, IdentitiesCommand.self, DebugThumbs.self, BenchHarvest.self,
      BenchDetectTrack.self, BenchCluster.self,
    ]
  )

  @OptionGroup var episode: EpisodeOptions
  @OptionGroup var configFiles: ConfigOptions
  @OptionGroup(title: "Detect & track") var detectTrack: DetectTrackOptions
  @OptionGroup(title: "Faces Harvest") var harvest: HarvestOptions
  @OptionGroup(title: "Identities") var cluster: ClusterOptions
  @OptionGroup(title: "Clean-up") var cleanup: CleanupOptions

  func run() throws {
    guard detectTrack.detectTrack || harvest.facesEmbed || cluster.cluster || cleanup.cleanup else {
      throw ValidationError(
        "nothing to do for \(episode.epID ?? "(no --ep-id)"): pass a stage flag such as "
          + "--detect-track, --faces-embed, --cluster or --cleanup, or a subcommand (see --help)")
    }
    let episodeID = try episode.episodeID()
    let files = try configFiles.files()
    // Every stage's settings are checked before the first stage starts.
    let trackingConfig =
      detectTrack.detectTrack
      ? try detectTrack.resolvedConfig(file: files[ConfigOptions.detectTrack]) : nil
    let harvestConfig =
      harvest.facesEmbed ? try harvest.resolvedConfig(file: files[ConfigOptions.facesEmbed]) : nil
    let clusterConfig =
      cluster.cluster || cleanup.cleanup
      ? try cluster.resolvedConfig(file: files[ConfigOptions.cluster]) : nil
    let cleanupActions = cleanup.cleanup ? try cleanup.resolvedActions() : nil
    _ = try check(cleanup.reembedMinQuality, 0...1, "--reembed-min-quality")
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    // A model named in a config file that the manifest lacks is a config error at its line.
    if let trackingConfig, detectTrack.detector == nil {
      try Self.checkModel(
        trackingConfig.detector, key: "detector", file: files[ConfigOptions.detectTrack]
      ) {
        _ = try manifest.entry(named: $0)
      }
    }
    if let harvestConfig, harvest.embedModel == nil {
      try Self.checkModel(
        harvestConfig.embedModel, key: "embed_model", file: files[ConfigOptions.facesEmbed]
      ) {
        _ = try FacesHarvester.embedderEntry(named: $0, in: manifest)
      }
    }
    let lock = try EpisodeLock.acquire(
      layout: episode.layout(), episode: episodeID,
      purpose: "episode-run " + CommandLine.arguments.dropFirst().joined(separator: " "))
    defer { lock.release() }
    if let trackingConfig {
      try runDetectTrack(episodeID, config: trackingConfig, manifest: manifest)
    }
    if let harvestConfig {
      try runHarvest(episodeID, config: harvestConfig, manifest: manifest)
    }
    if cluster.cluster, let clusterConfig {
      let clusterer = IdentityClusterer(
        layout: episode.layout(), episode: episodeID, config: clusterConfig, manifest: manifest,
        logger: episode.logger("faceharvest.identities"))
      clusterer.force = cluster.force
      print(try clusterer.run().text())
      print(try ScreenTimeSummary.text(layout: episode.layout(), episode: episodeID))
    }
    if let cleanupActions, let clusterConfig {
      let pass = EpisodeCleanup(
        layout: episode.layout(), episode: episodeID, manifest: manifest,
        logger: episode.logger("faceharvest.cleanup"))
      pass.clusterConfig = clusterConfig
      pass.harvestConfig = try harvest.resolvedConfig(file: files[ConfigOptions.facesEmbed])
      if let floor = cleanup.reembedMinQuality { pass.reembedMinQuality = floor }
      print(CleanupReportFormatter.text(try pass.run(cleanupActions)))
    }
  }

  /// Runs `resolve` on a model name that came from `file`, turning its error into a
  /// `ConfigError` at the key's line.
  private static func checkModel(
    _ name: String, key: String, file: ConfigFile?, resolve: (String) throws -> Void
  ) throws {
    guard let file, file.keys.contains(key) else { return }
    do {
      try resolve(name)
    } catch {
      throw ConfigError(file: file.path, line: file.line(of: key), key: key, message: "\(error)")
    }
  }

  private func runDetectTrack(
    _ episodeID: EpisodeID, config: TrackingConfig, manifest: ModelManifest
  ) throws {
    let stage = DetectTrackStage(
      layout: episode.layout(), episode: episodeID, config: config, manifest: manifest,
      logger: episode.logger("faceharvest.detect-track"))
    stage.decoderThreads = max(0, harvest.decoderThreads)
    stage.inferenceThreads = max(0, harvest.inferenceThreads)
    stage.warnsAboutStaleFaces = !harvest.facesEmbed
    let display = ProgressDisplay()
    defer { display.finish() }
    let summary = try stage.run(progress: { display.update($0) })
    display.finish()
    print(DetectTrackSummaryFormatter.text(summary))
  }

  private func runHarvest(_ episodeID: EpisodeID, config: HarvestConfig, manifest: ModelManifest)
    throws
  {
    let debugThumbs = ProcessInfo.processInfo.environment["DEBUG_THUMBS"] == "1"
    let harvester = FacesHarvester(
      layout: episode.layout(), episode: episodeID, config: config, manifest: manifest,
      debugThumbs: debugThumbs, logger: episode.logger("faceharvest.harvest"))
    harvester.decoderThreads = max(0, harvest.decoderThreads)
    harvester.inferenceThreads = max(0, harvest.inferenceThreads)
    let display = ProgressDisplay()
    defer { display.finish() }
    let summary = try harvester.run(progress: { display.update($0) })
    display.finish()
    print(HarvestSummaryFormatter.text(summary))
  }
}

/// Options every episode command shares.
struct EpisodeOptions: ParsableArguments {
  @Option(name: .customLong("ep-id"), help: "Episode id, e.g. sample-s01e01.")
  var epID: String?

  @Option(
    name: .customLong("data-root"), help: "Data root (default ./data or $FACEHARVEST_DATA_ROOT).")
  var dataRoot: String?

  @Flag(name: .shortAndLong, help: "Log debug details.")
  var verbose = false

  /// The validated episode id; a bad one is rejected before any file is touched.
  func episodeID() throws -> EpisodeID {
    guard let epID else { throw ValidationError("--ep-id is required") }
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
