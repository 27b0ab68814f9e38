import Artifacts

/// ByteTrack's parameters, with the published defaults.
public struct ByteTrackConfig: Sendable, Equatable {
  /// Detections at or above this score are "high" and take part in the first association.
  public var trackThresh = 0.5
  /// Detections above this (and below `trackThresh`) are "low": second association only.
  public var lowThresh = 0.1
  /// A new track needs a high detection at or above this score (ByteTrack: trackThresh + 0.1).
  public var newTrackThresh = 0.6
  /// Frames (at 30 fps) a lost track is kept for re-identification.
  public var trackBuffer = 30
  /// First-association cost limit (1 − IoU·score).
  public var matchThresh = 0.8
  /// Second-association cost limit (1 − IoU), for low detections.
  public var lowMatchThresh = 0.5
  /// Cost limit for confirming a tentative track.
  public var unconfirmedMatchThresh = 0.7
  /// Detections with a smaller box area (pixels²) are ignored.
  public var minBoxArea = 10.0
  /// Frame rate of the analysed frames, which scales `trackBuffer`.
  public var frameRate = 30.0
  /// Motion association (docs/detect_track.md, "Motion association"): a track and a high
  /// detection left unmatched by IoU still match when the detection's centre lies within this
  /// many box heights of the track's predicted centre (0 turns it off).
  public var motionGate = 1.5
  /// ... and their box heights differ by at most this factor.
  public var motionMaxScale = 1.5

  /// Analysed frames a lost track stays open to the motion association: half a second (its
  /// predicted place drifts the longer it is unseen; IoU keeps it for the whole buffer).
  public var motionMaxLostFrames: Int { max(1, Int((frameRate / 2).rounded())) }

  /// The defaults.
  public init() {}

  /// Analysed frames a lost track is kept: `trackBuffer` frames at 30 fps, scaled to
  /// `frameRate`.
  public var lostFramesKept: Int { Int((frameRate / 30 * Double(trackBuffer)).rounded()) }
}

/// ByteTrack (Zhang et al. 2022): Kalman-predicted boxes; optimal IoU association of high-score
/// detections first, then of low-score detections with the tracks still unmatched; tentative
/// tracks confirmed by a second detection; lost tracks kept for `trackBuffer` frames. Track
/// numbers (1, 2, …) are given in order of confirmation, so ids have no gaps.
public final class ByteTracker {
  /// A confirmed track's detection in the current frame.
  public struct Assignment: Sendable, Equatable {
    /// The track's number, from 1 in order of birth.
    public var trackNumber: Int
    /// The detection assigned to it.
    public var detection: FaceDetection
  }

  enum State { case tracked, lost, removed }

  final class Track {
    var filter: BoxKalmanFilter
    var state = State.tracked
    var number: Int?
    var lastFrame: Int
    var score: Double

    init(detection: FaceDetection, frame: Int) {
      filter = BoxKalmanFilter(box: detection.box)
      lastFrame = frame
      score = detection.score
    }

    var box: [Double] { filter.box }
  }

  /// The parameters.
  public let config: ByteTrackConfig
  private var tracks: [Track] = []
  private var frame = 0
  private var nextNumber = 1
  /// As in ByteTrack's first frame, tracks born right after a start or a cut are confirmed at
  /// once; later ones wait for a second detection.
  private var startOfShot = true

  /// Creates a tracker.
  public init(config: ByteTrackConfig = ByteTrackConfig()) {
    self.config = config
  }

  /// The number the next confirmed track will get.
  public var tracksBorn: Int { nextNumber - 1 }

  /// The numbers of the confirmed tracks that can still be continued (tracked, or lost for no
  /// longer than the buffer). A number missing here never comes back.
  public var liveTrackNumbers: Set<Int> { Set(tracks.compactMap(\.number)) }

  /// Ends every track (a scene cut: no track crosses it). Numbering continues.
  public func reset() {
    tracks.removeAll()
    startOfShot = true
  }

  /// Associates one analysed frame's detections; returns the confirmed tracks seen in it.
  public func update(_ detections: [FaceDetection]) -> [Assignment] {
    frame += 1
    let usable = detections.filter { detection in
      let box = detection.box
      return (box[2] - box[0]) * (box[3] - box[1]) >= config.minBoxArea
    }
    var high = usable.filter { $0.score >= config.trackThresh }
    let low = usable.filter { $0.score > config.lowThresh && $0.score < config.trackThresh }
    var assignments: [(Track, FaceDetection)] = []

    let unconfirmed = tracks.filter { $0.state == .tracked && $0.number == nil }
    let pool = tracks.filter { $0.number != nil && ($0.state == .tracked || $0.state == .lost) }
    for track in pool { track.filter.predict() }

    // First association: confirmed and lost tracks with high detections.
    let first = associate(pool, high, limit: config.matchThresh, fuseScore: true)
    var matched = first.matched
    for (track, detection) in matched { assign(track, detection, &assignments) }
    high = first.detections
    let remainingTracks = first.tracks

    // Second association: still-tracked tracks with low detections.
    let lost = remainingTracks.filter { $0.state != .tracked }
    let unmatchedTracked: [Track]
    (matched, unmatchedTracked, _) = associate(
      remainingTracks.filter { $0.state == .tracked }, low, limit: config.lowMatchThresh,
      fuseScore: false)
    for (track, detection) in matched { assign(track, detection, &assignments) }

    // Tentative tracks need a second high detection.
    var remainingTentative: [Track]
    let confirmedByOverlap: [(Track, FaceDetection)]
    (confirmedByOverlap, remainingTentative, high) = associate(
      unconfirmed, high, limit: config.unconfirmedMatchThresh, fuseScore: true)

    // Motion association, last: only what every IoU association left apart (docs/detect_track.md).
    let recent = (unmatchedTracked + lost).filter {
      frame - $0.lastFrame <= config.motionMaxLostFrames
    }
    (matched, _, high) = associateByMotion(recent, high)
    for (track, detection) in matched { assign(track, detection, &assignments) }
    for track in unmatchedTracked where track.lastFrame != frame { track.state = .lost }
    let confirmedByMotion: [(Track, FaceDetection)]
    (confirmedByMotion, remainingTentative, high) = associateByMotion(remainingTentative, high)
    for (track, detection) in confirmedByOverlap + confirmedByMotion {
      track.number = nextNumber
      nextNumber += 1
      assign(track, detection, &assignments)
    }
    for track in remainingTentative { track.state = .removed }

    // New tentative tracks.
    for detection in high where detection.score >= config.newTrackThresh {
      let track = Track(detection: detection, frame: frame)
      tracks.append(track)
      if startOfShot {
        track.number = nextNumber
        nextNumber += 1
        assignments.append((track, detection))
      }
    }
    startOfShot = false
    let maximumLost = config.lostFramesKept
    for track in tracks where track.state == .lost && frame - track.lastFrame > maximumLost {
      track.state = .removed
    }
    tracks.removeAll { $0.state == .removed }

    return assignments.compactMap { track, detection in
      track.number.map { Assignment(trackNumber: $0, detection: detection) }
    }.sorted { $0.trackNumber < $1.trackNumber }
  }

  private func assign(
    _ track: Track, _ detection: FaceDetection, _ into: inout [(Track, FaceDetection)]
  ) {
    track.filter.update(box: detection.box)
    track.state = .tracked
    track.lastFrame = frame
    track.score = detection.score
    into.append((track, detection))
  }

  private func associate(
    _ candidates: [Track], _ detections: [FaceDetection], limit: Double, fuseScore: Bool
  ) -> (matched: [(Track, FaceDetection)], tracks: [Track], detections: [FaceDetection]) {
    solve(candidates, detections, limit: limit) { track, detection in
      1 - intersectionOverUnion(track.box, detection.box) * (fuseScore ? detection.score : 1)
    }
  }

  /// The motion association: tracks and detections that share no IoU but lie within
  /// `motionGate` box heights of the track's predicted centre, at a similar scale. A small face
  /// that moves about its own width between analysed frames (a person walking in, at the
  /// default 8 frames/s) overlaps nothing, yet is the same face (docs/detect_track.md).
  private func associateByMotion(_ candidates: [Track], _ detections: [FaceDetection]) -> (
    matched: [(Track, FaceDetection)], tracks: [Track], detections: [FaceDetection]
  ) {
    guard config.motionGate > 0 else { return ([], candidates, detections) }
    return solve(candidates, detections, limit: 1) { track, detection in
      MotionGate.cost(
        predicted: track.box, detected: detection.box, gate: config.motionGate,
        maxScale: config.motionMaxScale)
    }
  }

  /// Optimal one-to-one pairs of `candidates` and `detections` under `cost`, at most `limit`.
  private func solve(
    _ candidates: [Track], _ detections: [FaceDetection], limit: Double,
    cost: (Track, FaceDetection) -> Double
  ) -> (matched: [(Track, FaceDetection)], tracks: [Track], detections: [FaceDetection]) {
    guard !candidates.isEmpty, !detections.isEmpty else { return ([], candidates, detections) }
    let costs = candidates.map { track in detections.map { cost(track, $0) } }
    let pairs = LinearAssignment.solve(costs: costs, maximumCost: limit)
    let matchedRows = Set(pairs.map(\.row))
    let matchedColumns = Set(pairs.map(\.column))
    return (
      pairs.map { (candidates[$0.row], detections[$0.column]) },
      candidates.indices.filter { !matchedRows.contains($0) }.map { candidates[$0] },
      detections.indices.filter { !matchedColumns.contains($0) }.map { detections[$0] }
    )
  }
}

/// The cost of the motion association (docs/detect_track.md, "Motion association").
public enum MotionGate {
  /// Distance between the boxes' centres in units of `gate` times the larger box height (0 at
  /// the same centre, 1 at the gate), or +∞ when it is beyond the gate or the heights differ
  /// by more than `maxScale`.
  public static func cost(predicted: [Double], detected: [Double], gate: Double, maxScale: Double)
    -> Double
  {
    let predictedHeight = predicted[3] - predicted[1]
    let detectedHeight = detected[3] - detected[1]
    guard predictedHeight > 0, detectedHeight > 0,
      max(predictedHeight, detectedHeight) <= maxScale * min(predictedHeight, detectedHeight)
    else { return .infinity }
    let dx = (predicted[0] + predicted[2] - detected[0] - detected[2]) / 2
    let dy = (predicted[1] + predicted[3] - detected[1] - detected[3]) / 2
    let distance = (dx * dx + dy * dy).squareRoot() / (gate * max(predictedHeight, detectedHeight))
    return distance <= 1 ? distance : .infinity
  }
}
