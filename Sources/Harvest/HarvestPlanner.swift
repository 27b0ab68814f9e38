public import Artifacts
import FaceAlignment
public import FaceHarvestCore
public import FaceQuality
import Foundation

/// A detection chosen for harvesting, with everything measured before its pixels are seen.
public struct PlannedFace: Sendable, Equatable {
  /// Position in the plan (stable, for ordering).
  public var id: Int
  /// The track.
  public var trackID: String
  /// The frame.
  public var frameIndex: Int
  /// Normalised `[x1, y1, x2, y2]`, clamped to [0, 1].
  public var bbox: [Double]
  /// Normalised landmarks as in the detection row.
  public var landmarks: [Double]
  /// Landmarks in frame pixels.
  public var landmarkPoints: [Point2D]
  /// Detector confidence.
  public var confidence: Double
  /// Short side of the clamped box in pixels.
  public var shortSide: Double
  /// Estimated head pose.
  public var pose: HeadPose
  /// The quality score before the crop exists (blur unknown).
  public var preCropQuality: QualityScore
  /// A probe face (docs/harvest.md): gated by the relaxed probe floor, kept only for a track
  /// with no accepted face, never in `faces.jsonl`.
  public var isProbe = false
  /// A track's best detection, cut only for its review thumbnail (docs/harvest.md, "Review
  /// thumbnails"): never gated, embedded or written to `faces.jsonl`.
  public var isReview = false
}

/// The gates a detection must pass before decoding: the spec's for faces that define
/// identities, or the relaxed probe floor.
public struct FaceFloor: Sendable, Equatable {
  /// Smallest short side of the clamped box, pixels.
  public var minFaceSize: Double
  /// Detector confidence.
  public var minConfidence: Double
  /// Apply the pose limits.
  public var checkPose: Bool
  /// Largest |yaw|, degrees.
  public var maxYaw: Double
  /// Largest |pitch|, degrees.
  public var maxPitch: Double

  /// The spec's gates from `config`.
  public static func accepted(_ config: HarvestConfig) -> FaceFloor {
    FaceFloor(
      minFaceSize: Double(config.minFaceSize), minConfidence: config.minConfidence,
      checkPose: config.checkPoseQuality, maxYaw: config.maxYawAngle,
      maxPitch: config.maxPitchAngle)
  }

  /// The probe floor from `config`.
  public static func probe(_ config: HarvestConfig) -> FaceFloor {
    FaceFloor(
      minFaceSize: Double(config.probeMinFaceSize), minConfidence: config.probeMinConfidence,
      checkPose: true, maxYaw: config.probeMaxYawAngle, maxPitch: config.probeMaxPitchAngle)
  }

  /// No floor at all: any detection whose landmarks give an alignment (a track's review face).
  public static let unrestricted = FaceFloor(
    minFaceSize: 0, minConfidence: 0, checkPose: false, maxYaw: 180, maxPitch: 180)
}

/// A face that did not make it, with the reason.
public struct RejectedFace: Sendable, Equatable {
  /// The track.
  public var trackID: String
  /// The frame.
  public var frameIndex: Int
  /// Normalised box as in the detection row (clamped when it could be).
  public var bbox: [Double]
  /// Why.
  public var reason: RejectionReason
  /// The quality score, when it was computed.
  public var qualityScore: Double?
  /// Share of the aligned crop outside the frame, when the crop was cut.
  public var padding: Double? = nil
}

/// Gates detections on what is known before decoding (landmarks, box, confidence, pose) and
/// samples each track (DECISIONS.md). Pure: no I/O.
public struct HarvestPlanner: Sendable {
  /// The settings.
  public var config: HarvestConfig
  /// Frame width in pixels.
  public var frameWidth: Int
  /// Frame height in pixels.
  public var frameHeight: Int

  /// Creates a planner for frames of the given size.
  public init(config: HarvestConfig, frameWidth: Int, frameHeight: Int) {
    self.config = config
    self.frameWidth = frameWidth
    self.frameHeight = frameHeight
  }

  /// The plan: faces to harvest (in frame order) and faces rejected before decoding.
  public struct Plan: Sendable {
    /// Faces to decode, crop and embed, sorted by frame then track.
    public var faces: [PlannedFace]
    /// Faces rejected by the pre-crop gates or the per-track cap.
    public var rejected: [RejectedFace]
    /// Probe faces (`isProbe`), sorted by frame then track: the best few of every track under
    /// the probe floor, in case none of its planned faces is accepted.
    public var probes: [PlannedFace] = []
    /// One review face (`isReview`) per track with a usable detection, sorted by frame then
    /// track: its best detection by pre-crop quality, whatever the floors say.
    public var reviewFaces: [PlannedFace] = []
  }

  /// Gates one detection against `floor` (the spec's gates when nil). Returns the planned
  /// face, or the rejection.
  public func gate(_ detection: Detection, trackID: String, floor: FaceFloor? = nil) -> Result<
    PlannedFace, RejectedFaceError
  > {
    let floor = floor ?? FaceFloor.accepted(config)
    let width = Double(frameWidth)
    let height = Double(frameHeight)
    func reject(_ reason: RejectionReason, bbox: [Double], quality: Double? = nil) -> Result<
      PlannedFace, RejectedFaceError
    > {
      .failure(
        RejectedFaceError(
          RejectedFace(
            trackID: trackID, frameIndex: detection.frameIndex, bbox: bbox, reason: reason,
            qualityScore: quality)))
    }
    let raw = detection.bbox
    guard raw.count == 4, raw.allSatisfy(\.isFinite) else {
      return reject(.bboxOutOfBounds, bbox: raw)
    }
    guard detection.landmarks.count == 10, detection.landmarks.allSatisfy(\.isFinite) else {
      return reject(.invalidLandmarks, bbox: raw)
    }
    let clamped = raw.map { min(1, max(0, $0)) }
    let boxWidth = (clamped[2] - clamped[0]) * width
    let boxHeight = (clamped[3] - clamped[1]) * height
    let shortSide = min(boxWidth, boxHeight)
    let touchesEdge = raw[0] <= 0 || raw[1] <= 0 || raw[2] >= 1 || raw[3] >= 1
    let points = stride(from: 0, to: 10, by: 2).map {
      Point2D(x: detection.landmarks[$0] * width, y: detection.landmarks[$0 + 1] * height)
    }
    // Landmarks must lie near their box: further than one box size away means garbage.
    let reach = max(boxWidth, boxHeight, 1)
    let nearBox = points.allSatisfy { point in
      point.x >= clamped[0] * width - reach && point.x <= clamped[2] * width + reach
        && point.y >= clamped[1] * height - reach && point.y <= clamped[3] * height + reach
    }
    guard nearBox, let pose = HeadPoseEstimator.estimate(points),
      FaceAligner.transform(landmarks: points, size: 112) != nil
    else {
      return reject(.invalidLandmarks, bbox: clamped)
    }
    if shortSide < floor.minFaceSize {
      return reject(touchesEdge ? .bboxOutOfBounds : .tooSmall, bbox: clamped)
    }
    if detection.conf < floor.minConfidence {
      return reject(.lowConfidence, bbox: clamped)
    }
    if floor.checkPose && (abs(pose.yaw) > floor.maxYaw || abs(pose.pitch) > floor.maxPitch) {
      return reject(.poseTooExtreme, bbox: clamped)
    }
    let quality = QualityScore(
      confidence: detection.conf, shortSidePixels: shortSide, laplacianVariance: nil,
      maxBlur: config.maxBlur, yawDegrees: pose.yaw)
    return .success(
      PlannedFace(
        id: 0, trackID: trackID, frameIndex: detection.frameIndex, bbox: clamped,
        landmarks: detection.landmarks, landmarkPoints: points, confidence: detection.conf,
        shortSide: shortSide, pose: pose, preCropQuality: quality))
  }

  /// Gates and samples every track. `detectionsByTrack` holds each track's detections;
  /// `frameSpans` each track's `[first, last]` frames from `tracks.jsonl`.
  public func plan(
    detectionsByTrack: [String: [Detection]], frameSpans: [String: ClosedRange<Int>]
  ) -> Plan {
    let sampler = TrackSampler(
      mode: config.samplingMode, sampleInterval: config.sampleInterval,
      maxPerTrack: config.maxCropsPerTrack)
    var planned: [PlannedFace] = []
    var rejected: [RejectedFace] = []
    for trackID in detectionsByTrack.keys.sorted() {
      let detections = detectionsByTrack[trackID] ?? []
      var passing: [PlannedFace] = []
      for detection in detections {
        switch gate(detection, trackID: trackID) {
        case .success(let face): passing.append(face)
        case .failure(let failure): rejected.append(failure.face)
        }
      }
      let candidates = passing.enumerated().map { index, face in
        SamplingCandidate(frameIndex: face.frameIndex, score: face.preCropQuality.value, id: index)
      }
      let span =
        frameSpans[trackID]
        ?? ((passing.map(\.frameIndex).min() ?? 0)...(passing.map(\.frameIndex).max() ?? 0))
      let sampled = sampler.sample(candidates, frameSpan: span)
      planned.append(contentsOf: sampled.kept.map { passing[$0.id] })
      rejected.append(
        contentsOf: sampled.capped.map { candidate in
          let face = passing[candidate.id]
          return RejectedFace(
            trackID: trackID, frameIndex: face.frameIndex, bbox: face.bbox, reason: .trackCap,
            qualityScore: face.preCropQuality.value)
        })
    }
    planned.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    for index in planned.indices { planned[index].id = index }
    var probes = planProbes(detectionsByTrack: detectionsByTrack)
    for index in probes.indices { probes[index].id = planned.count + index }
    var reviewFaces = planReviewFaces(detectionsByTrack: detectionsByTrack)
    for index in reviewFaces.indices {
      reviewFaces[index].id = planned.count + probes.count + index
    }
    return Plan(faces: planned, rejected: rejected, probes: probes, reviewFaces: reviewFaces)
  }

  /// The plan of the episode from the plans of its tracks, each made by `plan` on that track
  /// alone (tracks are planned independently, so this is the plan of all of them at once):
  /// faces and probes sorted by frame then track and numbered, rejections in track order.
  static func merged(_ trackPlans: [String: Plan]) -> Plan {
    var faces = trackPlans.values.flatMap(\.faces)
    faces.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    for index in faces.indices { faces[index].id = index }
    var probes = trackPlans.values.flatMap(\.probes)
    probes.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    for index in probes.indices { probes[index].id = faces.count + index }
    var reviewFaces = trackPlans.values.flatMap(\.reviewFaces)
    reviewFaces.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    for index in reviewFaces.indices { reviewFaces[index].id = faces.count + probes.count + index }
    let rejected = trackPlans.keys.sorted().flatMap { trackPlans[$0]!.rejected }
    return Plan(faces: faces, rejected: rejected, probes: probes, reviewFaces: reviewFaces)
  }

  /// `detection` as a candidate review face of `trackID`, whatever the floors say; when its
  /// landmarks give no alignment, its box alone (no `landmarkPoints`: `ReviewPicture` shows it
  /// in its surroundings). Nil for a box that is not finite or holds no pixel, and for every
  /// detection when `review_thumbs_per_track` is 0 (no review face is planned or kept).
  func reviewCandidate(_ detection: Detection, trackID: String) -> PlannedFace? {
    guard config.reviewThumbsPerTrack > 0 else { return nil }
    if var face = try? gate(detection, trackID: trackID, floor: .unrestricted).get() {
      face.isReview = true
      return face
    }
    let raw = detection.bbox
    guard raw.count == 4, raw.allSatisfy(\.isFinite) else { return nil }
    let clamped = raw.map { min(1, max(0, $0)) }
    let shortSide = min(
      (clamped[2] - clamped[0]) * Double(frameWidth),
      (clamped[3] - clamped[1]) * Double(frameHeight))
    guard shortSide >= 1 else { return nil }
    return PlannedFace(
      id: 0, trackID: trackID, frameIndex: detection.frameIndex, bbox: clamped,
      landmarks: detection.landmarks, landmarkPoints: [], confidence: detection.conf,
      shortSide: shortSide, pose: HeadPose(yaw: 0, pitch: 0),
      preCropQuality: QualityScore(
        confidence: detection.conf, shortSidePixels: shortSide, laplacianVariance: nil,
        maxBlur: config.maxBlur, yawDegrees: 0),
      isReview: true)
  }

  /// Every track's review face: its usable detection of best pre-crop quality, the earliest
  /// among equals (docs/harvest.md, "Review thumbnails").
  func planReviewFaces(detectionsByTrack: [String: [Detection]]) -> [PlannedFace] {
    var faces: [PlannedFace] = []
    for trackID in detectionsByTrack.keys.sorted() {
      var best: PlannedFace?
      for detection in detectionsByTrack[trackID] ?? [] {
        guard let face = reviewCandidate(detection, trackID: trackID) else { continue }
        if let current = best, !Self.reviewRanks(face, before: current) { continue }
        best = face
      }
      if let best { faces.append(best) }
    }
    faces.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    return faces
  }

  /// Whether `face` is a better review face than `other`: one with landmarks before a box
  /// alone, then higher pre-crop quality, then the earlier frame.
  static func reviewRanks(_ face: PlannedFace, before other: PlannedFace) -> Bool {
    (face.landmarkPoints.isEmpty ? 1 : 0, -face.preCropQuality.value, face.frameIndex)
      < (other.landmarkPoints.isEmpty ? 1 : 0, -other.preCropQuality.value, other.frameIndex)
  }

  /// Every track's probe candidates: up to `probe_faces_per_track` detections that pass the
  /// probe floor, best pre-crop quality first, no two closer than `sample_interval / 2` frames.
  func planProbes(detectionsByTrack: [String: [Detection]]) -> [PlannedFace] {
    guard config.probeFacesPerTrack > 0 else { return [] }
    let floor = FaceFloor.probe(config)
    let sampler = TrackSampler(
      mode: .qualityWeighted, sampleInterval: config.sampleInterval,
      maxPerTrack: config.probeFacesPerTrack)
    var probes: [PlannedFace] = []
    for trackID in detectionsByTrack.keys.sorted() {
      let passing = (detectionsByTrack[trackID] ?? []).compactMap { detection in
        try? gate(detection, trackID: trackID, floor: floor).get()
      }
      let candidates = passing.enumerated().map { index, face in
        SamplingCandidate(frameIndex: face.frameIndex, score: face.preCropQuality.value, id: index)
      }
      let span = (passing.map(\.frameIndex).min() ?? 0)...(passing.map(\.frameIndex).max() ?? 0)
      probes += sampler.sample(candidates, frameSpan: span).kept.map { candidate in
        var face = passing[candidate.id]
        face.isProbe = true
        return face
      }
    }
    probes.sort { ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID) }
    return probes
  }
}

/// `RejectedFace` as an `Error`, so gating can return a `Result`.
public struct RejectedFaceError: Error, Equatable {
  /// The rejected face.
  public let face: RejectedFace

  /// Wraps a rejection.
  public init(_ face: RejectedFace) { self.face = face }
}
