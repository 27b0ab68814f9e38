public import Artifacts
public import DetectTrack
public import FaceHarvestCore
import Foundation
public import Harvest
public import Identities
import Inference
public import Logging
import Media

/// What a running stage reports.
public enum PipelineProgress: Sendable {
  /// Detect & track progress.
  case detectTrack(DetectTrackProgress)
  /// Faces harvest progress.
  case facesEmbed(HarvestProgress)
  /// Clustering has started (it reports nothing finer).
  case cluster
}

/// What a finished stage reports.
public enum StageSummary: Sendable {
  /// Detect & track's summary.
  case detectTrack(DetectTrackSummary)
  /// The faces harvest's summary.
  case facesEmbed(HarvestSummary)
  /// Clustering's summary.
  case cluster(ClusterSummary)

  /// The stage.
  public var stage: PipelineStage {
    switch self {
    case .detectTrack: .detectTrack
    case .facesEmbed: .facesEmbed
    case .cluster: .cluster
    }
  }

  /// The artifacts the stage wrote, relative to the data root.
  public var artifacts: [String] {
    switch self {
    case .detectTrack(let summary): summary.artifacts
    case .facesEmbed(let summary): summary.artifacts
    case .cluster(let summary): summary.artifacts
    }
  }
}

/// A run stopped between stages: the stages before finished and published their artifacts,
/// the rest did not run.
public struct PipelineCancelled: Error, CustomStringConvertible {
  /// The artifacts the finished stages wrote.
  public let completed: [String]

  public var description: String {
    completed.isEmpty
      ? "cancelled"
      : "cancelled between stages; already written: " + completed.joined(separator: ", ")
  }
}

/// The run of an episode, for `episode-run` and `faceharvest-server` alike: the chosen
/// stages in their fixed order (detect & track, faces harvest, clustering), under the
/// episode's lock, with resolved options (docs/configuration.md).
public final class EpisodePipeline {
  let layout: DataLayout
  let episode: EpisodeID
  let manifest: ModelManifest
  let options: ResolvedOptions
  let logger: Logger
  /// FFmpeg decoder threads (0: `ThreadBudget.poolThreads`, half the cores).
  public var decoderThreads = 0
  /// ONNX Runtime intra-op threads per model (0: `ThreadBudget.poolThreads`, half the cores).
  public var inferenceThreads = 0
  /// Write the harvest's crop debug report.
  public var debugThumbs = false
  /// Recluster even when nothing changed.
  public var forceCluster = false

  /// A run of `episode` under `layout` with `options` (resolved by `OptionResolver`).
  public init(
    layout: DataLayout, episode: EpisodeID, manifest: ModelManifest, options: ResolvedOptions,
    logger: Logger
  ) {
    self.layout = layout
    self.episode = episode
    self.manifest = manifest
    self.options = options
    self.logger = logger
  }

  /// Runs `stages` in pipeline order while holding the episode's lock (`purpose` names the
  /// holder to a refused second writer). `stageFinished` sees each summary as it comes;
  /// `afterStages` runs last, still under the lock. A cancellation seen between stages throws
  /// `PipelineCancelled`.
  @discardableResult
  public func run(
    _ stages: Set<PipelineStage>, purpose: String,
    progress: @escaping @Sendable (PipelineProgress) -> Void = { _ in },
    isCancelled: @escaping @Sendable () -> Bool = { false },
    stageFinished: (StageSummary) throws -> Void = { _ in },
    afterStages: () throws -> Void = {}
  ) throws -> [StageSummary] {
    let lock = try EpisodeLock.acquire(layout: layout, episode: episode, purpose: purpose)
    defer { lock.release() }
    var summaries: [StageSummary] = []
    var remaining = stages.sorted()
    if let singlePass = try singlePassHarvest(for: stages) {
      // One decode for both stages (docs/harvest.md, "One decode").
      remaining.removeAll { $0 == .detectTrack || $0 == .facesEmbed }
      let detected = try runDetectTrack(harvestingWith: singlePass, progress, isCancelled)
      summaries.append(.detectTrack(detected))
      try stageFinished(.detectTrack(detected))
      if isCancelled() { throw PipelineCancelled(completed: summaries.flatMap(\.artifacts)) }
      let harvested = try singlePass.finish(
        framesInVideo: detected.framesDecoded, framesSkipped: detected.framesSkipped,
        progress: { progress(.facesEmbed($0)) }, isCancelled: isCancelled)
      summaries.append(.facesEmbed(harvested))
      try stageFinished(.facesEmbed(harvested))
    }
    for stage in remaining {
      if isCancelled() { throw PipelineCancelled(completed: summaries.flatMap(\.artifacts)) }
      try InputCheck(layout: layout, episode: episode).verify(before: stage)
      let summary = try run(
        stage, harvestFollows: stages.contains(.facesEmbed), progress, isCancelled)
      summaries.append(summary)
      try stageFinished(summary)
    }
    try afterStages()
    return summaries
  }

  /// The harvest to run inside detect-track's pass when both stages run and its sampling
  /// allows (`SinglePassHarvest.supports`); nil otherwise.
  private func singlePassHarvest(for stages: Set<PipelineStage>) throws -> SinglePassHarvest? {
    guard stages.contains(.detectTrack), stages.contains(.facesEmbed) else { return nil }
    let harvester = try makeHarvester()
    guard SinglePassHarvest.supports(harvester.config) else {
      logger.info(
        "stratified sampling needs each track's final span: the harvest decodes the video again",
        metadata: ["episode": "\(episode)"])
      return nil
    }
    return try SinglePassHarvest(harvester: harvester)
  }

  /// Detect-track with the harvest taking its crops during the same decode; the harvest's
  /// artifacts are committed by its `finish`, after detect-track's.
  private func runDetectTrack(
    harvestingWith harvest: SinglePassHarvest,
    _ progress: @escaping @Sendable (PipelineProgress) -> Void,
    _ isCancelled: @escaping @Sendable () -> Bool
  ) throws -> DetectTrackSummary {
    let stage = try makeDetectTrackStage()
    stage.warnsAboutStaleFaces = false
    stage.analysedFrameObserver = HarvestTap(harvest: harvest)
    return try stage.run(progress: { progress(.detectTrack($0)) }, isCancelled: isCancelled)
  }

  private func makeDetectTrackStage() throws -> DetectTrackStage {
    let stage = DetectTrackStage(
      layout: layout, episode: episode,
      config: try options.required(\.tracking, for: .detectTrack), manifest: manifest,
      logger: logger)
    stage.decoderThreads = max(0, decoderThreads)
    stage.inferenceThreads = max(0, inferenceThreads)
    return stage
  }

  private func makeHarvester() throws -> FacesHarvester {
    let harvester = FacesHarvester(
      layout: layout, episode: episode,
      config: try options.required(\.harvest, for: .facesEmbed), manifest: manifest,
      debugThumbs: debugThumbs, logger: logger)
    harvester.decoderThreads = max(0, decoderThreads)
    harvester.inferenceThreads = max(0, inferenceThreads)
    return harvester
  }

  private func run(
    _ stage: PipelineStage, harvestFollows: Bool,
    _ progress: @escaping @Sendable (PipelineProgress) -> Void,
    _ isCancelled: @escaping @Sendable () -> Bool
  ) throws -> StageSummary {
    switch stage {
    case .detectTrack:
      let stage = try makeDetectTrackStage()
      // Without a harvest after it, detect-track leaves faces of older tracks behind: say so.
      stage.warnsAboutStaleFaces = !harvestFollows
      return .detectTrack(
        try stage.run(progress: { progress(.detectTrack($0)) }, isCancelled: isCancelled))
    case .facesEmbed:
      let harvester = try makeHarvester()
      return .facesEmbed(
        try harvester.run(progress: { progress(.facesEmbed($0)) }, isCancelled: isCancelled))
    case .cluster:
      progress(.cluster)
      let clusterer = IdentityClusterer(
        layout: layout, episode: episode, config: try options.required(\.cluster, for: stage),
        manifest: manifest, logger: logger)
      clusterer.force = forceCluster
      return .cluster(try clusterer.run())
    }
  }
}

/// Hands detect-track's analysed frames to the single-pass harvest.
private final class HarvestTap: AnalysedFrameObserver {
  let harvest: SinglePassHarvest

  init(harvest: SinglePassHarvest) { self.harvest = harvest }

  func observe(_ frame: SourceFrame, rows: [Detection], liveTracks: Set<String>) throws {
    try harvest.observe(frame, rows: rows, liveTracks: liveTracks)
  }

  func committed(tracks: [Track]) {
    harvest.detectTrackCommitted(tracks: tracks)
  }
}

/// A stage was asked to run without its options resolved (a programming error of the caller).
public struct OptionsNotResolved: Error, CustomStringConvertible {
  /// The stage.
  public let stage: PipelineStage

  public var description: String { "the options of \(stage.rawValue) were not resolved" }
}
