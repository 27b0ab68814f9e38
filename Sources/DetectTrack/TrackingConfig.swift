import Foundation
import PipelineConfig

/// Every setting of the detect-track stage. The ByteTrack keys carry the tracker's published
/// defaults (Zhang et al. 2022: track_thresh 0.5, new track 0.6, buffer 30, match 0.8,
/// min_box_area 10). Precedence: command-line flag > `config/pipeline/tracking.yaml` > default.
public struct TrackingConfig: Sendable, Equatable {
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
  /// Analyse every `stride`-th frame.
  public var stride = 1
  /// When above 0, analyse about this many frames per second of video (it sets the stride
  /// from the video's frame rate and overrides `stride`).
  public var targetFPS = 0.0
  /// Colour-histogram distance (0–1) above which consecutive analysed frames are a cut.
  public var sceneCutThreshold = 0.15
  /// Fewest analysed frames between two cuts.
  public var minShotFrames = 10
  /// Tracks shorter than this (seconds) count towards `short_track_fraction`.
  public var shortTrackSeconds = 1.0

  /// The defaults.
  public init() {}

  /// The config file's keys.
  public static let keys: Set<String> = [
    "detector", "det_thresh", "low_thresh", "new_track_thresh", "track_buffer", "match_thresh",
    "min_box_area", "stride", "target_fps", "scene_cut_threshold", "min_shot_frames",
    "short_track_seconds",
  ]

  /// The default config file path.
  public static let defaultPath = "config/pipeline/tracking.yaml"

  /// `base` (the defaults unless given) overridden by the keys present in `file`; an unknown key
  /// is an error.
  public static func load(_ file: ConfigFile, over base: TrackingConfig = TrackingConfig()) throws
    -> TrackingConfig
  {
    try file.rejectUnknownKeys(keys)
    var config = base
    config.detector = try file.string("detector") ?? config.detector
    config.detThresh = try file.double("det_thresh", in: 0...1) ?? config.detThresh
    config.lowThresh = try file.double("low_thresh", in: 0...1) ?? config.lowThresh
    config.newTrackThresh = try file.double("new_track_thresh", in: 0...1) ?? config.newTrackThresh
    config.trackBuffer = try file.int("track_buffer", in: 1...100_000) ?? config.trackBuffer
    config.matchThresh = try file.double("match_thresh", in: 0...1) ?? config.matchThresh
    config.minBoxArea = try file.double("min_box_area", in: 0...1e8) ?? config.minBoxArea
    config.stride = try file.int("stride", in: 1...10_000) ?? config.stride
    config.targetFPS = try file.double("target_fps", in: 0...1000) ?? config.targetFPS
    config.sceneCutThreshold =
      try file.double("scene_cut_threshold", in: 0...1) ?? config.sceneCutThreshold
    config.minShotFrames = try file.int("min_shot_frames", in: 1...100_000) ?? config.minShotFrames
    config.shortTrackSeconds =
      try file.double("short_track_seconds", in: 0...3600) ?? config.shortTrackSeconds
    try config.check(file: file.path, lines: { file.line(of: $0) })
    return config
  }

  /// Rejects settings that contradict each other (`low_thresh` above `det_thresh`, or a new
  /// track threshold below the high threshold).
  public func check(file: String = "command line", lines: (String) -> Int? = { _ in nil }) throws {
    if lowThresh > detThresh {
      throw ConfigError(
        file: file, line: lines("low_thresh"), key: "low_thresh",
        message: "low_thresh \(lowThresh) is above det_thresh \(detThresh)")
    }
    if newTrackThresh < detThresh {
      throw ConfigError(
        file: file, line: lines("new_track_thresh"), key: "new_track_thresh",
        message: "new_track_thresh \(newTrackThresh) is below det_thresh \(detThresh)")
    }
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
    config.frameRate = analysedFPS > 0 ? analysedFPS : 30
    return config
  }
}
