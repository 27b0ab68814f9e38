import ArgumentParser
import DetectTrack
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Harvest
import Identities
import Inference
import PipelineConfig

/// A flag that overrides one config key; `value` is nil when the flag was not given.
struct FlagOverride {
  let key: String
  let flag: String
  let value: String?

  init(_ key: String, _ flag: String, _ value: (some CustomStringConvertible)?) {
    self.key = key
    self.flag = flag
    self.value = value?.description
  }
}

/// `--config FILE` (repeatable): each file configures the one stage its keys belong to.
struct ConfigOptions: ParsableArguments {
  @Option(
    name: .customLong("config"),
    help: ArgumentHelp(
      "A stage config file; repeat for several stages. Defaults: \(TrackingConfig.defaultPath), "
        + "\(HarvestConfig.defaultPath), \(ClusterConfig.defaultPath).",
      valueName: "file"))
  var configs: [String] = []

  /// The options of `stages`, resolved by the pipeline's one resolver (docs/configuration.md)
  /// from the `--config` files, the default files and the flags given. A flag of a stage this
  /// run neither runs nor resolves is ignored, with a note on standard error.
  func resolve(_ stages: Set<PipelineStage>, flags: [FlagOverride], manifest: ModelManifest)
    throws -> ResolvedOptions
  {
    let files = try OptionResolver.filesByStage(
      configs.map { try ConfigFile(url: URL(fileURLWithPath: $0)) })
    var overrides: [PipelineStage: (values: [String: String], spellings: [String: String])] = [:]
    for flag in flags {
      guard let value = flag.value, let stage = PipelineStage.owning(flag.key) else { continue }
      guard stages.contains(stage) else {
        FileHandle.standardError.write(
          Data(
            "episode-run: \(flag.flag) configures \(stage.rawValue), which this command does not run; ignored\n"
              .utf8))
        continue
      }
      overrides[stage, default: ([:], [:])].values[flag.key] = value
      overrides[stage, default: ([:], [:])].spellings[flag.key] = flag.flag
    }
    let resolver = OptionResolver(
      configDirectory: URL(fileURLWithPath: "config/pipeline"), manifest: manifest)
    do {
      return try resolver.resolve(
        stages, files: files,
        overrides: overrides.mapValues {
          ConfigFile(values: $0.values, spellings: $0.spellings, source: Self.commandLine)
        })
    } catch let error as ConfigError where error.file == Self.commandLine {
      throw ValidationError("\(error)")
    }
  }

  static let commandLine = "command line"
}

/// The detect-track flags. Each one overrides the config file.
struct DetectTrackOptions: ParsableArguments {
  @Flag(
    name: .customLong("detect-track"),
    help: "Run detect & track: detections.jsonl, tracks.jsonl, track_metrics.json.")
  var detectTrack = false

  @Option(name: .customLong("stride"), help: "Analyse every Nth frame.")
  var stride: Int?

  @Option(
    name: .customLong("target-fps"),
    help: "Analyse about this many frames per second of video (sets the stride).")
  var targetFPS: Double?

  @Option(
    name: .customLong("det-thresh"), help: "Detection score threshold (ByteTrack's high set).")
  var detThresh: Double?

  @Option(name: .customLong("detector"), help: "yunet | scrfd (a detector of the model manifest).")
  var detector: String?

  /// The flags as overrides of the stage's config keys.
  var overrides: [FlagOverride] {
    [
      FlagOverride("stride", "--stride", stride),
      FlagOverride("target_fps", "--target-fps", targetFPS),
      FlagOverride("det_thresh", "--det-thresh", detThresh),
      FlagOverride("detector", "--detector", detector),
    ]
  }
}
