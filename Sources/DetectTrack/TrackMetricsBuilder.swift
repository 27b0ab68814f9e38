public import Artifacts

/// What the detect-track stage learned about one confirmed track.
public struct TrackRecord: Sendable, Equatable {
  /// Track number from 1, in order of birth (`track-00001` …).
  public var number: Int
  /// Shot (0-based, counted by scene cuts) the track lives in.
  public var shot: Int
  /// First and last frame index with a detection.
  public var firstFrame: Int
  /// Last frame index with a detection.
  public var lastFrame: Int
  /// Timestamps of the first and last detection (seconds).
  public var startSeconds: Double
  /// Timestamp of the last detection.
  public var endSeconds: Double
  /// Detections assigned to the track.
  public var detections: Int
  /// Sum of their confidences.
  public var confidenceSum: Double
  /// Box of the first detection, frame pixels.
  public var firstBox: [Double]
  /// Box of the last detection, frame pixels.
  public var lastBox: [Double]
  /// Whether the track was born in the first analysed frame of its shot.
  public var bornAtShotStart: Bool

  /// The track id (`track-{N:05d}`).
  public var trackID: String { ArtifactID.track(number) }
}

/// Computes `track_metrics.json` from the tracks of one run (definitions in
/// `docs/detect_track.md`).
public struct TrackMetricsBuilder: Sendable {
  /// The episode id.
  public var episode: String
  /// Frames the detector analysed.
  public var analysedFrames: Int
  /// Video duration in seconds (last timestamp + one frame).
  public var durationSeconds: Double
  /// The video's nominal frame rate (for track durations).
  public var frameRate: Double
  /// The frame stride used.
  public var stride: Int
  /// Track assignments summed over analysed frames.
  public var trackedDetections: Int
  /// The last analysed frame index.
  public var lastAnalysedFrame: Int
  /// How many analysed frames a lost track is kept (ByteTrack's scaled buffer).
  public var lostFramesKept: Int
  /// `short_track_seconds`.
  public var shortTrackSeconds: Double
  /// Scene cuts found.
  public var sceneCuts: Int
  /// Wall-clock seconds of the run.
  public var elapsedSeconds: Double
  /// Detector model name.
  public var detector: String
  /// Device the detector ran on.
  public var device: String

  /// Creates a builder; every field is set by the stage.
  public init(
    episode: String, analysedFrames: Int, durationSeconds: Double, frameRate: Double, stride: Int,
    trackedDetections: Int, lastAnalysedFrame: Int, lostFramesKept: Int,
    shortTrackSeconds: Double, sceneCuts: Int, elapsedSeconds: Double, detector: String,
    device: String
  ) {
    self.episode = episode
    self.analysedFrames = analysedFrames
    self.durationSeconds = durationSeconds
    self.frameRate = frameRate
    self.stride = stride
    self.trackedDetections = trackedDetections
    self.lastAnalysedFrame = lastAnalysedFrame
    self.lostFramesKept = lostFramesKept
    self.shortTrackSeconds = shortTrackSeconds
    self.sceneCuts = sceneCuts
    self.elapsedSeconds = elapsedSeconds
    self.detector = detector
    self.device = device
  }

  /// Re-identification failures: tracks born mid-shot whose first box overlaps (IoU ≥ 0.3) the
  /// last box of a track of the same shot that ended at most `lostFramesKept` analysed frames
  /// earlier. Each ended track explains at most one new track.
  public func idSwitches(_ tracks: [TrackRecord]) -> Int {
    var used = Set<Int>()
    var switches = 0
    let window = lostFramesKept * max(1, stride)
    for track in tracks.sorted(by: { $0.firstFrame < $1.firstFrame }) where !track.bornAtShotStart {
      let candidate = tracks.filter { old in
        old.shot == track.shot && old.number != track.number && !used.contains(old.number)
          && old.lastFrame < track.firstFrame && track.firstFrame - old.lastFrame <= window
          && intersectionOverUnion(old.lastBox, track.firstBox) >= 0.3
      }.max {
        intersectionOverUnion($0.lastBox, track.firstBox)
          < intersectionOverUnion($1.lastBox, track.firstBox)
      }
      if let candidate {
        used.insert(candidate.number)
        switches += 1
      }
    }
    return switches
  }

  /// The metrics for `tracks`.
  public func metrics(_ tracks: [TrackRecord]) -> TrackMetrics {
    let frameSeconds = frameRate > 0 ? 1 / frameRate : 0
    let short = tracks.filter { $0.endSeconds - $0.startSeconds + frameSeconds < shortTrackSeconds }
    let longest = tracks.sorted {
      let a = $0.lastFrame - $0.firstFrame
      let b = $1.lastFrame - $1.firstFrame
      return a != b ? a > b : $0.number < $1.number
    }.prefix(5).map { LongestTrack(trackID: $0.trackID, length: $0.lastFrame - $0.firstFrame + 1) }
    return TrackMetrics(
      epID: episode, tracksBorn: tracks.count,
      tracksLost: tracks.filter { $0.lastFrame < lastAnalysedFrame }.count,
      idSwitches: idSwitches(tracks), longestTracks: Array(longest),
      avgTracksPerFrame: analysedFrames > 0
        ? Double(trackedDetections) / Double(analysedFrames) : 0,
      tracksPerMinute: durationSeconds > 0 ? Double(tracks.count) / (durationSeconds / 60) : 0,
      shortTrackFraction: tracks.isEmpty ? 0 : Double(short.count) / Double(tracks.count),
      totalFrames: analysedFrames,
      analyzedFPS: durationSeconds > 0 ? Double(analysedFrames) / durationSeconds : 0,
      elapsedSeconds: elapsedSeconds, device: device, detector: detector, tracker: "bytetrack",
      sceneCuts: sceneCuts)
  }
}
