import ArgumentParser
import DetectTrack
import Foundation
import Harvest
import Identities
import PipelineConfig

/// Checks a flag's value against its range; nil when the flag was not given.
func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ flag: String) throws -> T? {
  guard let value else { return nil }
  guard range.contains(value) else {
    throw ValidationError("\(flag) \(value) is outside \(range)")
  }
  return value
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

  static let detectTrack = "detect-track"
  static let facesEmbed = "faces-embed"
  static let cluster = "cluster"

  /// The config file of each stage: the `--config` file whose keys are the stage's, else the
  /// stage's default file when it exists.
  func files() throws -> [String: ConfigFile] {
    var byStage: [String: ConfigFile] = [:]
    let stages = [
      (name: Self.detectTrack, keys: TrackingConfig.keys),
      (name: Self.facesEmbed, keys: HarvestConfig.keys),
      (name: Self.cluster, keys: ClusterConfig.keys),
    ]
    for path in configs {
      let file = try ConfigFile(url: URL(fileURLWithPath: path))
      guard let stage = try file.stage(among: stages) else { continue }
      if let earlier = byStage[stage] {
        throw ValidationError("--config \(path) and \(earlier.path) both configure \(stage)")
      }
      byStage[stage] = file
    }
    for (stage, path) in [
      (Self.detectTrack, TrackingConfig.defaultPath), (Self.facesEmbed, HarvestConfig.defaultPath),
      (Self.cluster, ClusterConfig.defaultPath),
    ] where byStage[stage] == nil && FileManager.default.fileExists(atPath: path) {
      byStage[stage] = try ConfigFile(url: URL(fileURLWithPath: path))
    }
    return byStage
  }
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

  /// The config file's values (or the defaults), then the flags given on the command line.
  func resolvedConfig(file: ConfigFile?) throws -> TrackingConfig {
    var resolved = try file.map { try TrackingConfig.load($0) } ?? TrackingConfig()
    if let value = try check(stride, 1...10_000, "--stride") {
      resolved.stride = value
      resolved.targetFPS = 0
    }
    if let value = try check(targetFPS, 0.01...1000, "--target-fps") { resolved.targetFPS = value }
    if let value = try check(detThresh, 0...1, "--det-thresh") {
      resolved.detThresh = value
      // The flag moves ByteTrack's bands with it: low stays below, new tracks stay at or above.
      resolved.lowThresh = min(resolved.lowThresh, value)
      resolved.newTrackThresh = max(resolved.newTrackThresh, value)
    }
    if let detector { resolved.detector = detector }
    do {
      try resolved.check()
    } catch {
      throw ValidationError("\(error)")
    }
    return resolved
  }
}
