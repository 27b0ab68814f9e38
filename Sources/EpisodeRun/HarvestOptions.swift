public import ArgumentParser
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

  @Option(
    name: .customLong("decoder-threads"),
    help: "FFmpeg decoder threads (0: automatic, half the cores).")
  var decoderThreads = 0

  @Option(
    name: .customLong("inference-threads"),
    help: "ONNX Runtime intra-op threads per model (0: automatic, half the cores).")
  var inferenceThreads = 0

  /// The flags as overrides of the stage's config keys (`--save-crops` and `--face-validate`
  /// can only turn their setting on).
  var overrides: [FlagOverride] {
    [
      FlagOverride("save_crops", "--save-crops", saveCrops ? true : nil),
      FlagOverride("check_pose_quality", "--face-validate", faceValidate ? true : nil),
      FlagOverride("min_confidence", "--min-face-conf", minFaceConf),
      FlagOverride("min_face_size", "--min-face-size", minFaceSize),
      FlagOverride("min_quality", "--min-quality", minQuality),
      FlagOverride("max_blur", "--max-blur", maxBlur),
      FlagOverride("max_crops_per_track", "--max-crops-per-track", maxCropsPerTrack),
      FlagOverride("max_crops_per_episode", "--max-crops-per-episode", maxCropsPerEpisode),
      FlagOverride("sampling_mode", "--sampling-mode", samplingMode?.rawValue),
      FlagOverride("sample_interval", "--sample-interval", sampleInterval),
      FlagOverride("thumb_size", "--thumb-size", thumbSize),
      FlagOverride("jpeg_quality", "--jpeg-quality", jpegQuality),
      FlagOverride("embed_batch_size", "--embed-batch-size", embedBatchSize),
      FlagOverride("embed_model", "--embed-model", embedModel),
      FlagOverride("embed_device", "--embed-device", embedDevice?.rawValue),
    ]
  }
}
