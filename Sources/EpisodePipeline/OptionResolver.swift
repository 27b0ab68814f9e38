public import Artifacts
public import DetectTrack
public import FaceHarvestCore
public import Foundation
public import Harvest
public import Identities
import Inference
public import PipelineConfig

/// The settings a run will use, per stage; nil for a stage not resolved.
public struct ResolvedOptions: Sendable, Equatable {
  /// Detect & track settings.
  public var tracking: TrackingConfig?
  /// Faces harvest settings.
  public var harvest: HarvestConfig?
  /// Clustering settings.
  public var cluster: ClusterConfig?

  /// Every resolved stage's keys and values, for `--show-options` and the server's `dry_run`.
  public var values: [PipelineStage: [(key: String, value: SettingValue)]] {
    var values: [PipelineStage: [(key: String, value: SettingValue)]] = [:]
    if let tracking { values[.detectTrack] = tracking.values }
    if let harvest { values[.facesEmbed] = harvest.values }
    if let cluster { values[.cluster] = cluster.values }
    return values
  }

  /// The settings at `settings`, or `OptionsNotResolved` naming `stage`.
  public func required<Settings>(
    _ settings: KeyPath<ResolvedOptions, Settings?>, for stage: PipelineStage
  ) throws -> Settings {
    guard let value = self[keyPath: settings] else { throw OptionsNotResolved(stage: stage) }
    return value
  }
}

/// An option of a request that no stage of the request knows.
public struct UnknownOptionError: Error, CustomStringConvertible, Equatable {
  /// The option as given.
  public let key: String
  /// The stages the request runs.
  public let stages: [PipelineStage]

  /// An error for `key` in a request that runs `stages`.
  public init(key: String, stages: [PipelineStage]) {
    self.key = key
    self.stages = stages
  }

  public var description: String {
    let known = stages.flatMap(\.keys).sorted().joined(separator: ", ")
    let names = stages.map(\.rawValue).joined(separator: ", ")
    return "unknown option \"\(key)\" for \(names) (known: \(known))"
  }
}

/// The one place options are resolved, for `episode-run` and `faceharvest-server` alike
/// (docs/configuration.md): built-in default < the stage's config file (a file the caller
/// names, else the default file in the config directory) < overrides (command-line flags or a
/// request body). Each layer is read through the stage's one table of keys; rules between
/// keys apply per layer; a model a layer names must be in the model manifest.
public struct OptionResolver: Sendable {
  /// Where the default config files are (`config/pipeline`).
  public let configDirectory: URL
  /// The model manifest, to check `detector` and `embed_model`.
  public let manifest: ModelManifest

  /// A resolver with default files in `configDirectory`.
  public init(configDirectory: URL, manifest: ModelManifest) {
    self.configDirectory = configDirectory
    self.manifest = manifest
  }

  /// Sorts caller-named config files by the stage their keys belong to; a file of no stage's
  /// keys, one mixing two stages, or two files for one stage is an error.
  public static func filesByStage(_ files: [ConfigFile]) throws -> [PipelineStage: ConfigFile] {
    let stages = PipelineStage.allCases.map { (name: $0.rawValue, keys: $0.keys) }
    var byStage: [PipelineStage: ConfigFile] = [:]
    for file in files {
      guard let name = try file.stage(among: stages), let stage = PipelineStage(rawValue: name)
      else { continue }
      if let earlier = byStage[stage] {
        throw ConfigError(
          file: file.path, line: nil, key: nil,
          message: "both this file and \(earlier.path) configure \(stage.rawValue)")
      }
      byStage[stage] = file
    }
    return byStage
  }

  /// Groups option keys by the stage that owns them; a key no stage of `stages` knows is an
  /// `UnknownOptionError`.
  public static func group(_ keys: some Sequence<String>, stages: Set<PipelineStage>) throws
    -> [PipelineStage: [String]]
  {
    var grouped: [PipelineStage: [String]] = [:]
    for key in keys.sorted() {
      guard let stage = PipelineStage.owning(key), stages.contains(stage) else {
        throw UnknownOptionError(key: key, stages: stages.sorted())
      }
      grouped[stage, default: []].append(key)
    }
    return grouped
  }

  /// The settings of `stages`: each stage's config file (`files[stage]`, else its default file
  /// when present) over the defaults, then `overrides[stage]`.
  public func resolve(
    _ stages: Set<PipelineStage>, files: [PipelineStage: ConfigFile] = [:],
    overrides: [PipelineStage: ConfigFile] = [:]
  ) throws -> ResolvedOptions {
    func layers(_ stage: PipelineStage) throws -> [ConfigFile] {
      let file = try files[stage] ?? defaultFile(stage)
      return [file, overrides[stage]].compactMap { $0 }
    }
    var options = ResolvedOptions()
    if stages.contains(.detectTrack) {
      let layers = try layers(.detectTrack)
      let tracking: TrackingConfig = try Self.load(layers)
      try checkModel("detector", tracking.detector, layers) { _ = try manifest.entry(named: $0) }
      options.tracking = tracking
    }
    if stages.contains(.facesEmbed) {
      let layers = try layers(.facesEmbed)
      let harvest: HarvestConfig = try Self.load(layers)
      try checkModel("embed_model", harvest.embedModel, layers) {
        _ = try FacesHarvester.embedderEntry(named: $0, in: manifest)
      }
      options.harvest = harvest
    }
    if stages.contains(.cluster) { options.cluster = try Self.load(layers(.cluster)) }
    return options
  }

  /// The settings of `stages` with `fields` (option key → JSON value, as a request body or a
  /// queued job gives them) as the overrides, over the default files. A key no stage of
  /// `stages` knows is an `UnknownOptionError`; a bad value a `ConfigError` naming `source`.
  public func resolve(
    _ stages: Set<PipelineStage>, keyed fields: [String: JSONValue], source: String
  ) throws -> ResolvedOptions {
    let grouped = try Self.group(fields.keys, stages: stages)
    let overrides = try grouped.mapValues { keys in
      let object = JSONValue.object(fields.filter { keys.contains($0.key) })
      // JSON is YAML: the same reader, with the same line and key messages, as a file.
      let text = String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
      return try ConfigFile(yaml: text, path: source)
    }
    return try resolve(stages, overrides: overrides)
  }

  private func defaultFile(_ stage: PipelineStage) throws -> ConfigFile? {
    let url = configDirectory.appendingPathComponent(stage.defaultFileName)
    return FileManager.default.fileExists(atPath: url.path) ? try ConfigFile(url: url) : nil
  }

  private static func load<Settings: StageSettings>(_ layers: [ConfigFile]) throws -> Settings {
    try layers.reduce(Settings()) { try Settings.load($1, over: $0) }
  }

  /// Resolves the model `name` that the last layer naming `key` gave; its error becomes a
  /// config error at that layer's line.
  private func checkModel(
    _ key: String, _ name: String, _ layers: [ConfigFile], resolve: (String) throws -> Void
  ) throws {
    guard let layer = layers.last(where: { $0.keys.contains(key) }) else { return }
    do {
      try resolve(name)
    } catch {
      throw layer.error(key, "\(error)")
    }
  }
}
