import Artifacts
import DetectTrack
import EpisodePipeline
import Foundation
import Harvest
import Identities
import Inference
import Logging
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
    let stages = Self.stages(kind)
    let resolver = OptionResolver(configDirectory: configDirectory, manifest: manifest)
    do {
      let grouped = try OptionResolver.group(fields.keys, stages: stages)
      let overrides = try grouped.mapValues { keys in
        let object = JSONValue.object(fields.filter { keys.contains($0.key) })
        return try ConfigFile(yaml: object.compactJSON(), path: Self.requestBody)
      }
      return (episode, try resolver.resolve(stages, overrides: overrides))
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
        progress: { job.progress(Self.progress($0)) }, isCancelled: { job.isCancelled },
        stageFinished: { summary[$0.stage.rawValue] = Self.json($0) })
      job.summary = kind == .pipeline ? .object(summary) : summary.values.first
      return summaries.flatMap(\.artifacts)
    }
    return (episode, work)
  }

  /// Inputs, checked before queueing.
  private func requireInputs(_ kind: JobKind, _ episode: EpisodeID) throws {
    func require(_ url: URL, _ what: String) throws {
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw JobRequestError.badRequest(
          "missing input for \(kind.rawValue): \(layout.relativePath(url)) (\(what))")
      }
    }
    switch kind {
    case .detectTrack, .pipeline:
      try require(layout.video(episode), "the episode's video")
    case .facesEmbed:
      try require(layout.video(episode), "the episode's video")
      try require(layout.tracks(episode), "run detect_track first")
      try require(layout.detections(episode), "run detect_track first")
    case .cluster:
      try require(layout.faces(episode), "run faces_embed first")
      try require(layout.facesNPY(episode), "run faces_embed first")
    }
  }

  static func json(_ summary: StageSummary) -> JSONValue {
    switch summary {
    case .detectTrack(let summary): json(summary)
    case .facesEmbed(let summary): json(summary)
    case .cluster(let summary): json(summary)
    }
  }

  static func progress(_ progress: PipelineProgress) -> [String: JSONValue] {
    switch progress {
    case .detectTrack(let progress): Self.progress(progress)
    case .facesEmbed(let progress): Self.progress(progress)
    case .cluster: ["phase": .string("cluster")]
    }
  }

  static func json<T: Encodable>(_ value: T) -> JSONValue {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    guard let data = try? encoder.encode(value), let parsed = try? JSONValue.parse(data) else {
      return .null
    }
    return parsed
  }

  static func progress(_ progress: HarvestProgress) -> [String: JSONValue] {
    [
      "phase": .string(progress.phase), "faces_done": .integer(progress.facesDone),
      "faces_total": .integer(progress.facesTotal), "frames_done": .integer(progress.framesDone),
      "frames_total": .integer(progress.framesTotal),
      "fps": .number(progress.elapsed > 0 ? Double(progress.framesDone) / progress.elapsed : 0),
      "elapsed": .number(progress.elapsed),
    ]
  }

  static func progress(_ progress: DetectTrackProgress) -> [String: JSONValue] {
    [
      "phase": .string("detect_track"), "faces_done": .integer(progress.detections),
      "faces_total": .integer(progress.detections), "frames_done": .integer(progress.framesDone),
      "frames_total": .integer(progress.framesTotal), "tracks": .integer(progress.tracks),
      "fps": .number(
        progress.elapsed > 0 ? Double(progress.framesAnalysed) / progress.elapsed : 0),
      "elapsed": .number(progress.elapsed),
    ]
  }
}
