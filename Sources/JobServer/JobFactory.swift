import Artifacts
import DetectTrack
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

  /// The episode and the work for a `kind` request with `body` (a JSON object).
  public func prepare(kind: JobKind, body: JSONValue) throws -> (
    EpisodeID, @Sendable (Job) throws -> [String]
  ) {
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

    // Options: each key belongs to one stage.
    let stages: [(JobKind, Set<String>)] = [
      (.detectTrack, TrackingConfig.keys), (.facesEmbed, HarvestConfig.keys),
      (.cluster, ClusterConfig.keys),
    ]
    let allowed: Set<JobKind> = kind == .pipeline ? [.detectTrack, .facesEmbed, .cluster] : [kind]
    var options: [JobKind: [String: JSONValue]] = [:]
    for (key, value) in fields {
      guard let stage = stages.first(where: { $0.1.contains(key) })?.0, allowed.contains(stage)
      else {
        let known = stages.filter { allowed.contains($0.0) }.flatMap(\.1).sorted()
        throw JobRequestError.badRequest(
          "unknown option \"\(key)\" for \(kind.rawValue) (known: ep_id, "
            + known.joined(separator: ", ") + ")")
      }
      options[stage, default: [:]][key] = value
    }
    func file(_ stage: JobKind) throws -> ConfigFile? {
      guard let object = options[stage] else { return nil }
      do {
        return try ConfigFile(yaml: JSONValue.object(object).compactJSON(), path: "request body")
      } catch {
        throw JobRequestError.badRequest("\(error)")
      }
    }
    func defaults(_ name: String) throws -> ConfigFile? {
      let url = configDirectory.appendingPathComponent(name)
      return FileManager.default.fileExists(atPath: url.path) ? try ConfigFile(url: url) : nil
    }
    func configured<Config>(
      _ stage: JobKind, _ defaultName: String, _ make: () -> Config,
      _ load: (ConfigFile, Config) throws -> Config
    ) throws -> Config {
      var config = make()
      if let base = try defaults(defaultName) { config = try load(base, config) }
      if let request = try file(stage) {
        do {
          config = try load(request, config)
        } catch {
          throw JobRequestError.badRequest("\(error)")
        }
      }
      return config
    }
    let tracking = try configured(
      .detectTrack, "tracking.yaml", { TrackingConfig() }, { try TrackingConfig.load($0, over: $1) }
    )
    let harvest = try configured(
      .facesEmbed, "faces_embed_sampling.yaml", { HarvestConfig() },
      { try HarvestConfig.load($0, over: $1) })
    let clustering = try configured(
      .cluster, "clustering.yaml", { ClusterConfig() }, { try ClusterConfig.load($0, over: $1) })
    do {
      try tracking.check()
    } catch {
      throw JobRequestError.badRequest("\(error)")
    }

    // Inputs, checked before queueing.
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

    let (stageLayout, manifest, logger) = (self.layout, self.manifest, self.logger)
    let work: @Sendable (Job) throws -> [String] = { job in
      let lock = try EpisodeLock.acquire(
        layout: stageLayout, episode: episode,
        purpose: "faceharvest-server job \(job.id) (\(kind.rawValue))")
      defer { lock.release() }
      var artifacts: [String] = []
      var summary: [String: JSONValue] = [:]
      if kind == .detectTrack || kind == .pipeline {
        let stage = DetectTrackStage(
          layout: stageLayout, episode: episode, config: tracking, manifest: manifest,
          logger: logger)
        stage.warnsAboutStaleFaces = kind != .pipeline
        let result = try stage.run(
          progress: { job.progress(Self.progress($0)) }, isCancelled: { job.isCancelled })
        artifacts += result.artifacts
        summary["detect_track"] = Self.json(result)
      }
      if job.isCancelled { throw JobCancelled(completed: artifacts) }
      if kind == .facesEmbed || kind == .pipeline {
        let harvester = FacesHarvester(
          layout: stageLayout, episode: episode, config: harvest, manifest: manifest, logger: logger
        )
        let result = try harvester.run(
          progress: { job.progress(Self.progress($0)) }, isCancelled: { job.isCancelled })
        artifacts += result.artifacts
        summary["faces_embed"] = Self.json(result)
      }
      if job.isCancelled { throw JobCancelled(completed: artifacts) }
      if kind == .cluster || kind == .pipeline {
        job.progress(["phase": .string("cluster")])
        let result = try IdentityClusterer(
          layout: stageLayout, episode: episode, config: clustering, manifest: manifest,
          logger: logger
        ).run()
        artifacts += result.artifacts
        summary["cluster"] = Self.json(result)
      }
      job.summary = kind == .pipeline ? .object(summary) : summary.values.first
      return artifacts
    }
    return (episode, work)
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

/// A pipeline job stopped between stages: the stages before it finished and wrote their
/// artifacts (each stage is atomic), the rest did not run.
struct JobCancelled: Error, CustomStringConvertible {
  let completed: [String]

  var description: String {
    completed.isEmpty
      ? "cancelled"
      : "cancelled between stages; already written: " + completed.joined(separator: ", ")
  }
}
