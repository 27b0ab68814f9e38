import Foundation
public import PipelineConfig

/// Every setting of the detect-track stage. The ByteTrack keys carry the tracker's published
/// defaults (Zhang et al. 2022: track_thresh 0.5, new track 0.6, buffer 30, match 0.8,
/// min_box_area 10). Precedence: command-line flag > `config/pipeline/tracking.yaml` > default.
public struct TrackingConfig: Sendable, Equatable, StageSettings {
  /// The detector: a model manifest entry name (`yunet`, `scrfd`, or any detector entry).
  public var detector = "yunet"
  /// Detections at or above this score are written and are "high" for ByteTrack.
  public var detThresh = 0.5
  /// Detections above this score (below `detThresh`) only extend existing tracks.
  public var lowThresh = 0.1
  /// A new track needs a detection at or above this score.
  public var newTrackThresh = 0.6
  /// Analysed frames (at 30 fps; scaled to the analysed rate) a lost track is kept.
  public var trackBuffer = 30
  /// First-association cost limit (1 − IoU × score).
  public var matchThresh = 0.8
  /// Detections with a smaller box area (pixels²) are ignored by the tracker.
  public var minBoxArea = 10.0
  /// Motion association: what IoU left unmatched matches within this many box heights of the
  /// predicted centre (0: off; docs/detect_track.md, "Motion association").
  public var motionGate = 1.5
  /// Analyse every `stride`-th frame.
  public var stride = 1
  /// When above 0, analyse about this many frames per second of video (it sets the stride
  /// from the video's frame rate and overrides `stride`).
  public var targetFPS = 8.0
  /// Colour-histogram distance (0–1) above which consecutive analysed frames are a cut.
  public var sceneCutThreshold = 0.15
  /// Fewest video frames between two cuts (counted in analysed frames: divided by the stride).
  public var minShotFrames = 10
  /// Tracks shorter than this (seconds) count towards `short_track_fraction`.
  public var shortTrackSeconds = 1.0
  /// Detector input scale of small-face scans and of shots with small faces (1: off;
  /// docs/detect_track.md, "Small faces").
  public var smallFaceScale = 2.0
  /// A face whose short side is under this many pixels at the normal detector input is small.
  public var smallFaceSize = 24.0
  /// Seconds between small-face scans inside a shot.
  public var smallFaceScanSeconds = 4.0
  /// Shots with small faces run the enlarged input on a tile around them (false: on the whole
  /// frame; off by default, docs/detect_track.md, "Small faces").
  public var smallFaceTiles = false
  /// Seconds between small-face scans inside a shot followed with a tile.
  public var smallFaceTileScanSeconds = 1.0
  /// A shot enlarged whole runs at the scale its smallest face needs, not `smallFaceScale`.
  public var smallFaceAdaptiveScale = false

  /// The defaults.
  public init() {}

  /// Every key of `config/pipeline/tracking.yaml`, once (docs/configuration.md).
  public static var settings: [ConfigSetting<TrackingConfig>] {
    [
      .string("detector", \.detector), .double("det_thresh", 0...1, \.detThresh),
      .double("low_thresh", 0...1, \.lowThresh),
      .double("new_track_thresh", 0...1, \.newTrackThresh),
      .int("track_buffer", 1...100_000, \.trackBuffer),
      .double("match_thresh", 0...1, \.matchThresh),
      .double("min_box_area", 0...1e8, \.minBoxArea),
      .double("motion_gate", 0...10, \.motionGate), .int("stride", 1...10_000, \.stride),
      .double("target_fps", 0...1000, \.targetFPS),
      .double("scene_cut_threshold", 0...1, \.sceneCutThreshold),
      .int("min_shot_frames", 1...100_000, \.minShotFrames),
      .double("short_track_seconds", 0...3600, \.shortTrackSeconds),
      .double("small_face_scale", 1...4, \.smallFaceScale),
      .double("small_face_size", 0...640, \.smallFaceSize),
      .double("small_face_scan_seconds", 0.01...3600, \.smallFaceScanSeconds),
      .bool("small_face_tiles", \.smallFaceTiles),
      .double("small_face_tile_scan_seconds", 0.01...3600, \.smallFaceTileScanSeconds),
      .bool("small_face_adaptive_scale", \.smallFaceAdaptiveScale),
    ]
  }

  /// The default config file name.
  public static let defaultFileName = "tracking.yaml"

  /// A layer that sets `det_thresh` but not the tracker's bands moves them with it (low stays
  /// at or below, new tracks at or above); one that sets `stride` but not `target_fps` means
  /// that stride (docs/configuration.md, "Rules between keys").
  public mutating func reconcile(with file: ConfigFile) {
    let keys = file.keys
    if keys.contains("det_thresh") {
      if !keys.contains("low_thresh") { lowThresh = min(lowThresh, detThresh) }
      if !keys.contains("new_track_thresh") { newTrackThresh = max(newTrackThresh, detThresh) }
    }
    if keys.contains("stride") && !keys.contains("target_fps") { targetFPS = 0 }
  }

  /// Rejects settings that contradict each other (`low_thresh` above `det_thresh`, or a new
  /// track threshold below the high threshold), naming `file`'s line of the key at fault.
  public func check(in file: ConfigFile) throws {
    if lowThresh > detThresh {
      throw file.error("low_thresh", "low_thresh \(lowThresh) is above det_thresh \(detThresh)")
    }
    if newTrackThresh < detThresh {
      throw file.error(
        "new_track_thresh", "new_track_thresh \(newTrackThresh) is below det_thresh \(detThresh)")
    }
  }

  /// `min_shot_frames` in analysed frames at `stride` (at least 1).
  public func minimumShotAnalysedFrames(stride: Int) -> Int {
    max(1, Int((Double(minShotFrames) / Double(max(1, stride))).rounded()))
  }

  /// The frame stride for a video of `frameRate` fps: `targetFPS` when set, else `stride`.
  public func effectiveStride(frameRate: Double) -> Int {
    guard targetFPS > 0, frameRate > 0 else { return max(1, stride) }
    return max(1, Int((frameRate / targetFPS).rounded()))
  }

  /// ByteTrack's parameters for every `stride`-th frame of a `frameRate` fps video (30 fps
  /// assumed when the rate is unknown).
  public func byteTrack(frameRate: Double, stride: Int) -> ByteTrackConfig {
    byteTrack(analysedFPS: frameRate > 0 ? frameRate / Double(max(1, stride)) : 30)
  }

  /// ByteTrack's parameters for frames analysed at `analysedFPS`.
  public func byteTrack(analysedFPS: Double) -> ByteTrackConfig {
    var config = ByteTrackConfig()
    config.trackThresh = detThresh
    config.lowThresh = lowThresh
    config.newTrackThresh = newTrackThresh
    config.trackBuffer = trackBuffer
    config.matchThresh = matchThresh
    config.minBoxArea = minBoxArea
    config.motionGate = motionGate
    config.frameRate = analysedFPS > 0 ? analysedFPS : 30
    return config
  }
}
