import Foundation
public import Inference
public import PipelineConfig

/// Every setting of the faces-harvest stage, with the spec's defaults (§5.1) plus
/// `max_pitch_angle` and `embed_batch_size`. Precedence: command-line flag > config file >
/// default (DECISIONS.md).
public struct HarvestConfig: Sendable, Equatable, StageSettings {
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
  public var embedBatchSize = 8
  /// The embedder: a manifest entry name, or a path to an `.onnx` file listed in the manifest.
  public var embedModel = "sface"
  /// Where inference runs.
  public var embedDevice = ExecutionDevice.cpu
  /// Write JPEG crops.
  public var saveCrops = false
  /// Faces whose aligned face region is more than this share exactly flat are `flat_crop`
  /// (docs/harvest.md): painted or printed surfaces, not skin. 1 turns the test off.
  public var maxFlatFraction = 0.4
  /// A face that defines an identity has at most this share of its aligned crop outside the
  /// frame (`bbox_out_of_bounds` otherwise; probes are exempt: docs/harvest.md, "Faces at the
  /// frame edge").
  public var maxPadding = 0.15
  /// Probe faces embedded per track that has no accepted face; 0 turns probes off
  /// (docs/harvest.md, "Probe faces").
  public var probeFacesPerTrack = 5
  /// Probes embedded first, best first; the rest only when these disagree (docs/harvest.md,
  /// "Probes by need"); 0 or 1 embeds every probe at once (agreement needs a pair).
  public var probeEmbedFirst = 3
  /// Mean pairwise similarity at which the first probes settle their track.
  public var probeEmbedAgreement = 0.5
  /// The probe floor: smallest face box short side in pixels.
  public var probeMinFaceSize = 10
  /// The probe floor: detector confidence.
  public var probeMinConfidence = 0.5
  /// The probe floor: largest |yaw| in degrees.
  public var probeMaxYawAngle = 75.0
  /// The probe floor: largest |pitch| in degrees.
  public var probeMaxPitchAngle = 45.0
  /// Review thumbnails written per track, with or without `save_crops`, so every track can be
  /// judged in the review app (docs/harvest.md, "Review thumbnails"); 0 writes none.
  public var reviewThumbsPerTrack = 3

  /// The defaults.
  public init() {}

  /// Every key of `config/pipeline/faces_embed_sampling.yaml`, once (docs/configuration.md).
  public static var settings: [ConfigSetting<HarvestConfig>] {
    [
      .double("min_quality", 0...1, \.minQuality),
      .double("min_confidence", 0...1, \.minConfidence),
      .int("min_face_size", 1...4096, \.minFaceSize), .double("max_blur", 0...1e6, \.maxBlur),
      .int("max_crops_per_track", 1...100_000, \.maxCropsPerTrack),
      .int("max_crops_per_episode", 0...10_000_000, \.maxCropsPerEpisode),
      .choice("sampling_mode", \.samplingMode),
      .int("sample_interval", 1...100_000, \.sampleInterval),
      .int("thumb_size", 16...2048, \.thumbSize), .int("jpeg_quality", 1...100, \.jpegQuality),
      .bool("check_pose_quality", \.checkPoseQuality),
      .double("max_yaw_angle", 0...90, \.maxYawAngle),
      .double("max_pitch_angle", 0...90, \.maxPitchAngle),
      .int("embed_batch_size", 1...4096, \.embedBatchSize), .string("embed_model", \.embedModel),
      .choice("embed_device", \.embedDevice), .bool("save_crops", \.saveCrops),
      .double("max_flat_fraction", 0...1, \.maxFlatFraction),
      .double("max_padding", 0...1, \.maxPadding),
      .int("probe_faces_per_track", 0...1000, \.probeFacesPerTrack),
      .int("probe_embed_first", 0...1000, \.probeEmbedFirst),
      .double("probe_embed_agreement", -1...1, \.probeEmbedAgreement),
      .int("probe_min_face_size", 1...4096, \.probeMinFaceSize),
      .double("probe_min_confidence", 0...1, \.probeMinConfidence),
      .double("probe_max_yaw_angle", 0...90, \.probeMaxYawAngle),
      .double("probe_max_pitch_angle", 0...90, \.probeMaxPitchAngle),
      .int("review_thumbs_per_track", 0...100, \.reviewThumbsPerTrack),
    ]
  }

  /// The default config file name.
  public static let defaultFileName = "faces_embed_sampling.yaml"
}
