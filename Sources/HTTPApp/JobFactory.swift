public import Artifacts
import DetectTrack
public import EpisodePipeline
public import FaceHarvestCore
public import Foundation
import Harvest
import Identities
import Inference
public import JobQueue
public import Logging
import PipelineConfig

/// Turns a job request body into the work of a job: checks `ep_id`, the episode and its inputs,
/// and the stage options (config keys, over the default config files) before anything is
/// queued, so a bad request is a 400 and never a failed job.
public struct JobFactory: Sendable {
  let layout: DataLayout
  let manifest: ModelManifest
  let configDirectory: URL
  let logger: Logger

  /// A factory for episodes under `layout`, with default config files in `configDirectory`
  /// (`config/pipeline`).
  public init(
    layout: DataLayout, manifest: ModelManifest, configDirectory: URL, logger: Logger
  ) {
    self.layout = layout
    self.manifest = manifest
    self.configDirectory = configDirectory
    self.logger = logger
  }

  /// The episode id from a path or body, refusing traversal and anything not an `ep_id`.
  public static func episode(_ raw: String) throws -> EpisodeID {
    do {
      return try EpisodeID(raw)
    } catch {
      throw JobRequestError.badRequest("\(error)")
    }
  }

  /// Whether the episode has any folder under the data root.
  public func episodeExists(_ episode: EpisodeID) -> Bool {
    [layout.video(episode).deletingLastPathComponent(), layout.manifestsDir(episode)].contains {
      FileManager.default.fileExists(atPath: $0.path)
    }
  }

  /// The stages a job of `kind` runs.
  static func stages(_ kind: JobKind) -> Set<PipelineStage> {
    switch kind {
    case .detectTrack: [.detectTrack]
    case .facesEmbed: [.facesEmbed]
    case .cluster: [.cluster]
    case .pipeline: Set(PipelineStage.allCases)
    }
  }

  /// The episode and the options of a `kind` request with `body` (a JSON object), resolved
  /// by the pipeline's one resolver (docs/configuration.md): the request's keys are the
  /// overrides over the default config files, exactly as flags are on the command line.
  public func resolve(kind: JobKind, body: JSONValue) throws -> (EpisodeID, ResolvedOptions) {
    guard case .object(var fields) = body else {
      throw JobRequestError.badRequest("the body must be a JSON object")
    }
    guard let raw = fields.removeValue(forKey: "ep_id")?.stringValue else {
      throw JobRequestError.badRequest("ep_id (a string) is required")
    }
    let episode = try Self.episode(raw)
    guard episodeExists(episode) else {
      throw JobRequestError.notFound("unknown episode \(episode)")
    }
    let resolver = OptionResolver(configDirectory: configDirectory, manifest: manifest)
    do {
      return (
        episode,
        try resolver.resolve(Self.stages(kind), keyed: fields, source: Self.requestBody)
      )
    } catch let error as UnknownOptionError {
      throw JobRequestError.badRequest("\(error) (and ep_id)")
    } catch let error as ConfigError where error.file == Self.requestBody {
      throw JobRequestError.badRequest("\(error)")
    }
  }

  static let requestBody = "request body"

  /// The episode and the work for a `kind` request with `body` (a JSON object): options and
  /// inputs are checked before anything is queued, so a bad request is a 400 and never a
  /// failed job.
  public func prepare(kind: JobKind, body: JSONValue) throws -> (
    EpisodeID, @Sendable (Job) throws -> [String]
  ) {
    let (episode, options) = try resolve(kind: kind, body: body)
    try requireInputs(kind, episode)
    let (stageLayout, manifest, logger) = (self.layout, self.manifest, self.logger)
    let work: @Sendable (Job) throws -> [String] = { job in
      let pipeline = EpisodePipeline(
        layout: stageLayout, episode: episode, manifest: manifest, options: options,
        logger: logger)
      var summary: [String: JSONValue] = [:]
      let summaries = try pipeline.run(
        Self.stages(kind), purpose: "faceharvest-server job \(job.id) (\(kind.rawValue))",
        progress: { job.progress($0.jsonObject) }, isCancelled: { job.isCancelled },
        stageFinished: { summary[$0.stage.rawValue] = $0.json })
      job.summary = kind == .pipeline ? .object(summary) : summary.values.first
      return summaries.flatMap(\.artifacts)
    }
    return (episode, work)
  }

  /// A `kind` request with `body` as a submission to the PostgreSQL job queue: checked as an
  /// in-process job is (episode, options, inputs), its options the body's keys, resolved again
  /// by the worker that runs it (docs/job_queue.md).
  public func submission(kind: JobKind, body: JSONValue, submittedBy: String) throws
    -> JobSubmission
  {
    let (episode, _) = try resolve(kind: kind, body: body)
    try requireInputs(kind, episode)
    var options = body.objectValue ?? [:]
    options["ep_id"] = nil
    return JobSubmission(
      episode: episode, stages: Self.stages(kind), options: options, submittedBy: submittedBy)
  }

  /// Inputs, checked before queueing.
  private func requireInputs(_ kind: JobKind, _ episode: EpisodeID) throws {
    if let (url, what) = PipelineInputs.missing(
      for: Self.stages(kind), layout: layout, episode: episode)
    {
      throw JobRequestError.badRequest(
        "missing input for \(kind.rawValue): \(layout.relativePath(url)) (\(what))")
    }
  }
}
