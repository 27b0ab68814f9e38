import Foundation
import Inference
import PipelineConfig

/// Every setting of the faces-harvest stage, with the spec's defaults (§5.1) plus
/// `max_pitch_angle` and `embed_batch_size`. Precedence: command-line flag > config file >
/// default (DECISIONS.md).
public struct HarvestConfig: Sendable, Equatable {
  /// Combined quality score threshold.
  public var minQuality = 0.7
  /// Detector confidence threshold.
  public var minConfidence = 0.8
  /// Minimum short side of the face box, in pixels.
  public var minFaceSize = 64
  /// Laplacian-variance floor of the aligned crop (its spec name; lower is blurrier).
  public var maxBlur = 100.0
  /// Per-track cap.
  public var maxCropsPerTrack = 50
  /// Episode-wide cap (lowest quality dropped first); 0 turns it off.
  public var maxCropsPerEpisode = 5000
  /// Sampling strategy.
  public var samplingMode = SamplingMode.uniform
  /// Frames between uniform samples.
  public var sampleInterval = 24
  /// Side of the saved crop in pixels.
  public var thumbSize = 224
  /// JPEG quality of saved crops.
  public var jpegQuality = 90
  /// Reject faces whose yaw or pitch is too large.
  public var checkPoseQuality = true
  /// Largest |yaw| in degrees.
  public var maxYawAngle = 45.0
  /// Largest |pitch| in degrees.
  public var maxPitchAngle = 30.0
  /// Faces per inference batch.
  public var embedBatchSize = 32
  /// The embedder: a manifest entry name, or a path to an `.onnx` file listed in the manifest.
  public var embedModel = "sface"
  /// Where inference runs.
  public var embedDevice = ExecutionDevice.cpu
  /// Write JPEG crops.
  public var saveCrops = false
  /// Faces whose aligned face region is more than this share exactly flat are `flat_crop`
  /// (docs/harvest.md): painted or printed surfaces, not skin. 1 turns the test off.
  public var maxFlatFraction = 0.4
  /// Probe faces embedded per track that has no accepted face; 0 turns probes off
  /// (docs/harvest.md, "Probe faces").
  public var probeFacesPerTrack = 5
  /// The probe floor: smallest face box short side in pixels.
  public var probeMinFaceSize = 20
  /// The probe floor: detector confidence.
  public var probeMinConfidence = 0.5
  /// The probe floor: largest |yaw| in degrees.
  public var probeMaxYawAngle = 75.0
  /// The probe floor: largest |pitch| in degrees.
  public var probeMaxPitchAngle = 45.0

  /// The defaults.
  public init() {}

  /// The config file's keys.
  public static let keys: Set<String> = [
    "min_quality", "min_confidence", "min_face_size", "max_blur", "max_crops_per_track",
    "max_crops_per_episode", "sampling_mode", "sample_interval", "thumb_size", "jpeg_quality",
    "check_pose_quality", "max_yaw_angle", "max_pitch_angle", "embed_batch_size", "embed_model",
    "embed_device", "save_crops", "max_flat_fraction", "probe_faces_per_track",
    "probe_min_face_size",
    "probe_min_confidence", "probe_max_yaw_angle", "probe_max_pitch_angle",
  ]

  /// `base` (the defaults unless given) overridden by the keys present in `file`; an unknown key
  /// is an error.
  public static func load(_ file: ConfigFile, over base: HarvestConfig = HarvestConfig()) throws
    -> HarvestConfig
  {
    try file.rejectUnknownKeys(keys)
    var config = base
    config.minQuality = try file.double("min_quality", in: 0...1) ?? config.minQuality
    config.minConfidence = try file.double("min_confidence", in: 0...1) ?? config.minConfidence
    config.minFaceSize = try file.int("min_face_size", in: 1...4096) ?? config.minFaceSize
    config.maxBlur = try file.double("max_blur", in: 0...1e6) ?? config.maxBlur
    config.maxCropsPerTrack =
      try file.int("max_crops_per_track", in: 1...100_000) ?? config.maxCropsPerTrack
    config.maxCropsPerEpisode =
      try file.int("max_crops_per_episode", in: 0...10_000_000) ?? config.maxCropsPerEpisode
    config.samplingMode =
      try file.choice("sampling_mode", as: SamplingMode.self) ?? config.samplingMode
    config.sampleInterval =
      try file.int("sample_interval", in: 1...100_000) ?? config.sampleInterval
    config.thumbSize = try file.int("thumb_size", in: 16...2048) ?? config.thumbSize
    config.jpegQuality = try file.int("jpeg_quality", in: 1...100) ?? config.jpegQuality
    config.checkPoseQuality = try file.bool("check_pose_quality") ?? config.checkPoseQuality
    config.maxYawAngle = try file.double("max_yaw_angle", in: 0...90) ?? config.maxYawAngle
    config.maxPitchAngle = try file.double("max_pitch_angle", in: 0...90) ?? config.maxPitchAngle
    config.embedBatchSize = try file.int("embed_batch_size", in: 1...4096) ?? config.embedBatchSize
    config.embedModel = try file.string("embed_model") ?? config.embedModel
    config.embedDevice =
      try file.choice("embed_device", as: ExecutionDevice.self) ?? config.embedDevice
    config.saveCrops = try file.bool("save_crops") ?? config.saveCrops
    config.maxFlatFraction =
      try file.double("max_flat_fraction", in: 0...1) ?? config.maxFlatFraction
    config.probeFacesPerTrack =
      try file.int("probe_faces_per_track", in: 0...1000) ?? config.probeFacesPerTrack
    config.probeMinFaceSize =
      try file.int("probe_min_face_size", in: 1...4096) ?? config.probeMinFaceSize
    config.probeMinConfidence =
      try file.double("probe_min_confidence", in: 0...1) ?? config.probeMinConfidence
    config.probeMaxYawAngle =
      try file.double("probe_max_yaw_angle", in: 0...90) ?? config.probeMaxYawAngle
    config.probeMaxPitchAngle =
      try file.double("probe_max_pitch_angle", in: 0...90) ?? config.probeMaxPitchAngle
    return config
  }

  /// The default config file path: `config/pipeline/faces_embed_sampling.yaml`.
  public static let defaultPath = "config/pipeline/faces_embed_sampling.yaml"
}
