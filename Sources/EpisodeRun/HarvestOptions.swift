import ArgumentParser
import Foundation
import Harvest
import Inference
import PipelineConfig

extension SamplingMode: ExpressibleByArgument {}
extension ExecutionDevice: ExpressibleByArgument {}

/// The Faces Harvest flags (spec §3, §5.1). Each one overrides the config file.
struct HarvestOptions: ParsableArguments {
  @Flag(name: .customLong("faces-embed"), help: "Run the Faces Harvest (embedding) stage.")
  var facesEmbed = false

  @Flag(
    name: .customLong("save-crops"), help: "Save aligned JPEG crops under frames/{ep_id}/crops.")
  var saveCrops = false

  @Option(
    name: .customLong("min-face-conf"), help: "Detector confidence threshold (min_confidence).")
  var minFaceConf: Double?

  @Option(name: .customLong("min-face-size"), help: "Minimum face short side in pixels.")
  var minFaceSize: Int?

  @Flag(name: .customLong("face-validate"), help: "Turn on pose validation (check_pose_quality).")
  var faceValidate = false

  @Option(name: .customLong("min-quality"), help: "Combined quality threshold.")
  var minQuality: Double?

  @Option(name: .customLong("max-blur"), help: "Laplacian-variance floor of the aligned crop.")
  var maxBlur: Double?

  @Option(name: .customLong("max-crops-per-track"), help: "Per-track cap.")
  var maxCropsPerTrack: Int?

  @Option(name: .customLong("max-crops-per-episode"), help: "Episode cap (0: none).")
  var maxCropsPerEpisode: Int?

  @Option(name: .customLong("sampling-mode"), help: "uniform | quality-weighted | stratified.")
  var samplingMode: SamplingMode?

  @Option(name: .customLong("sample-interval"), help: "Frames between uniform samples.")
  var sampleInterval: Int?

  @Option(name: .customLong("thumb-size"), help: "Saved crop side in pixels.")
  var thumbSize: Int?

  @Option(name: .customLong("jpeg-quality"), help: "JPEG quality of saved crops (1–100).")
  var jpegQuality: Int?

  @Option(name: .customLong("embed-batch-size"), help: "Faces per inference batch.")
  var embedBatchSize: Int?

  @Option(
    name: .customLong("embed-model"), help: "Model manifest name, or path of a listed .onnx file.")
  var embedModel: String?

  @Option(name: .customLong("embed-device"), help: "cpu | cuda.")
  var embedDevice: ExecutionDevice?

  @Option(name: .customLong("decoder-threads"), help: "FFmpeg decoder threads (0: automatic).")
  var decoderThreads = 0

  @Option(name: .customLong("inference-threads"), help: "ONNX Runtime threads (0: one per core).")
  var inferenceThreads = 0

  /// The config file's values (or the defaults), then the flags given on the command line.
  func resolvedConfig(file: ConfigFile?) throws -> HarvestConfig {
    var resolved = try file.map { try HarvestConfig.load($0) } ?? HarvestConfig()
    if saveCrops { resolved.saveCrops = true }
    if faceValidate { resolved.checkPoseQuality = true }
    if let value = try check(minFaceConf, 0...1, "--min-face-conf") {
      resolved.minConfidence = value
    }
    if let value = try check(minFaceSize, 1...4096, "--min-face-size") {
      resolved.minFaceSize = value
    }
    if let value = try check(minQuality, 0...1, "--min-quality") { resolved.minQuality = value }
    if let value = try check(maxBlur, 0...1e6, "--max-blur") { resolved.maxBlur = value }
    if let value = try check(maxCropsPerTrack, 1...100_000, "--max-crops-per-track") {
      resolved.maxCropsPerTrack = value
    }
    if let value = try check(maxCropsPerEpisode, 0...10_000_000, "--max-crops-per-episode") {
      resolved.maxCropsPerEpisode = value
    }
    if let samplingMode { resolved.samplingMode = samplingMode }
    if let value = try check(sampleInterval, 1...100_000, "--sample-interval") {
      resolved.sampleInterval = value
    }
    if let value = try check(thumbSize, 16...2048, "--thumb-size") { resolved.thumbSize = value }
    if let value = try check(jpegQuality, 1...100, "--jpeg-quality") {
      resolved.jpegQuality = value
    }
    if let value = try check(embedBatchSize, 1...4096, "--embed-batch-size") {
      resolved.embedBatchSize = value
    }
    if let embedModel { resolved.embedModel = embedModel }
    if let embedDevice { resolved.embedDevice = embedDevice }
    return resolved
  }
}
