public import Artifacts
public import EpisodePipeline
public import FaceHarvestCore
public import Foundation
public import JobQueue
import Logging

/// Queued jobs that run the episode pipeline, through the same library as `episode-run` and
/// `faceharvest-server` (`EpisodePipeline`: stage order, the episode's lock, option
/// resolution; docs/configuration.md). Checks a submission before it is queued, and runs a
/// claimed job for a worker.
public struct PipelineJobs: QueueJobRunner {
  /// The shared data root every worker reaches.
  public let layout: DataLayout
  /// The model manifest.
  public let manifest: ModelManifest
  /// The default config files (`config/pipeline`).
  public let configDirectory: URL
  /// FFmpeg decoder threads per job (0: `ThreadBudget.poolThreads`, half the cores).
  public var decoderThreads = 0
  /// ONNX Runtime intra-op threads per model and job (0: `ThreadBudget.poolThreads`).
  public var inferenceThreads = 0

  /// Jobs on episodes under `layout`, options resolved over `configDirectory`'s files.
  public init(layout: DataLayout, manifest: ModelManifest, configDirectory: URL) {
    self.layout = layout
    self.manifest = manifest
    self.configDirectory = configDirectory
  }

  /// The source name a job's options carry in messages.
  static func source(_ episode: String) -> String { "job options (\(episode))" }

  /// The options of `stages` with `options` as overrides, as a worker will resolve them.
  public func resolve(_ stages: Set<PipelineStage>, options: [String: JSONValue], episode: String)
    throws -> ResolvedOptions
  {
    try OptionResolver(configDirectory: configDirectory, manifest: manifest)
      .resolve(stages, keyed: options, source: Self.source(episode))
  }

  /// Checks `submission` before it is queued, so a bad request is refused and never a failed
  /// job: its options resolve, and the first stage's inputs are on the data root.
  public func check(_ submission: JobSubmission) throws {
    _ = try resolve(
      submission.stages, options: submission.options, episode: submission.episode.rawValue)
    if let (url, what) = PipelineInputs.missing(
      for: submission.stages, layout: layout, episode: submission.episode)
    {
      throw JobQueueError.missingInput(
        epID: submission.episode.rawValue, path: layout.relativePath(url), what: what)
    }
  }

  /// Runs the job's stages under the episode's lock; the result names the artifacts written
  /// and each stage's summary.
  public func run(_ context: JobRunContext) throws -> JSONValue {
    let job = context.job
    let episode = try EpisodeID(job.epID)
    let stages = Set(job.stages)
    let pipeline = EpisodePipeline(
      layout: layout, episode: episode, manifest: manifest,
      options: try resolve(stages, options: job.options, episode: job.epID),
      logger: context.logger)
    pipeline.decoderThreads = decoderThreads
    pipeline.inferenceThreads = inferenceThreads
    var summaries: [String: JSONValue] = [:]
    let finished = try pipeline.run(
      stages,
      purpose: "episode-run worker \(context.lease.worker) (job \(job.id), "
        + "attempt \(context.lease.attempt))",
      progress: { progress in
        var object = progress.jsonObject
        object["stage"] = .string(Self.stage(of: progress).rawValue)
        context.report(.object(object))
      },
      isCancelled: { context.isCancelled },
      stageFinished: { summary in
        summaries[summary.stage.rawValue] = summary.json
        let artifacts = summary.artifacts.joined(separator: ", ")
        context.logger.info("stage \(summary.stage.rawValue) committed: \(artifacts)")
      })
    return .object([
      "artifacts": .array(finished.flatMap { $0.artifacts }.map { JSONValue.string($0) }),
      "summary": .object(summaries),
    ])
  }

  private static func stage(of progress: PipelineProgress) -> PipelineStage {
    switch progress {
    case .detectTrack: .detectTrack
    case .facesEmbed: .facesEmbed
    case .cluster: .cluster
    }
  }
}
