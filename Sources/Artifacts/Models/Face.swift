/// One harvested face: a row of `faces.jsonl`. Row i of `faces.npy` is `embedding` of line i.
public struct Face: Codable, Hashable, Sendable {
  /// `face_id`: `face-{N:05d}`.
  public var faceID: String
  /// `track_id`: the track in `tracks.jsonl` the face comes from.
  public var trackID: String
  /// `frame_idx`: zero-based frame number.
  public var frameIndex: Int
  /// `bbox`: `[x1, y1, x2, y2]`, normalised.
  public var bbox: [Double]
  /// `landmarks`: `[x, y] × 5`, normalised.
  public var landmarks: [Double]
  /// `embedding`: the unit-norm float32 embedding (512-d for ArcFace, 128-d for SFace).
  public var embedding: [Float]
  /// `quality_score`: combined quality in [0, 1].
  public var qualityScore: Double
  /// `crop_path`: `crops/{track_id}/frame_{frame_idx:06d}.jpg` relative to `frames/{ep_id}/`,
  /// or `""` when crops were not saved (also when absent from the JSON).
  public var cropPath: String
  /// `rejection_reason`: optional, omitted while `nil`. Accepted faces never carry one
  /// (rejected faces go to `crops_debug.jsonl`).
  public var rejectionReason: String?
  /// What a probe face looks like (`probe_faces.jsonl` only; omitted in `faces.jsonl`), so
  /// that clustering can tell a recognisable face from a degraded one (docs/identities.md,
  /// "Degraded-only tracks").
  public var probeView: ProbeView?

  enum CodingKeys: String, CodingKey {
    case faceID = "face_id"
    case trackID = "track_id"
    case frameIndex = "frame_idx"
    case bbox
    case landmarks
    case embedding
    case qualityScore = "quality_score"
    case cropPath = "crop_path"
    case rejectionReason = "rejection_reason"
    case faceSize = "face_px"
    case yaw = "yaw_deg"
    case sharpness
    case padding
    case probeRank = "probe_rank"
    case trackProbes = "track_probes"
  }

  /// A face row.
  public init(
    faceID: String, trackID: String, frameIndex: Int, bbox: [Double], landmarks: [Double],
    embedding: [Float], qualityScore: Double, cropPath: String = "", rejectionReason: String? = nil
  ) {
    self.faceID = faceID
    self.trackID = trackID
    self.frameIndex = frameIndex
    self.bbox = bbox
    self.landmarks = landmarks
    self.embedding = embedding
    self.qualityScore = qualityScore
    self.cropPath = cropPath
    self.rejectionReason = rejectionReason
  }

  /// Decodes a row; a missing `crop_path` becomes `""`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    faceID = try container.decode(String.self, forKey: .faceID)
    trackID = try container.decode(String.self, forKey: .trackID)
    frameIndex = try container.decode(Int.self, forKey: .frameIndex)
    bbox = try container.decode([Double].self, forKey: .bbox)
    landmarks = try container.decode([Double].self, forKey: .landmarks)
    embedding = try container.decode([Float].self, forKey: .embedding)
    qualityScore = try container.decode(Double.self, forKey: .qualityScore)
    cropPath = try container.decodeIfPresent(String.self, forKey: .cropPath) ?? ""
    rejectionReason = try container.decodeIfPresent(String.self, forKey: .rejectionReason)
    if let size = try container.decodeIfPresent(Double.self, forKey: .faceSize) {
      probeView = ProbeView(
        faceSize: size, yaw: try container.decodeIfPresent(Double.self, forKey: .yaw) ?? 0,
        sharpness: try container.decodeIfPresent(Double.self, forKey: .sharpness) ?? 0,
        padding: try container.decodeIfPresent(Double.self, forKey: .padding) ?? 0,
        rank: try container.decodeIfPresent(Int.self, forKey: .probeRank),
        trackProbes: try container.decodeIfPresent(Int.self, forKey: .trackProbes))
    }
  }

  /// Encodes the row; the probe view's fields sit beside the others, flat.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(faceID, forKey: .faceID)
    try container.encode(trackID, forKey: .trackID)
    try container.encode(frameIndex, forKey: .frameIndex)
    try container.encode(bbox, forKey: .bbox)
    try container.encode(landmarks, forKey: .landmarks)
    try container.encode(embedding, forKey: .embedding)
    try container.encode(qualityScore, forKey: .qualityScore)
    try container.encode(cropPath, forKey: .cropPath)
    try container.encodeIfPresent(rejectionReason, forKey: .rejectionReason)
    if let probeView {
      try container.encode(probeView.faceSize, forKey: .faceSize)
      try container.encode(probeView.yaw, forKey: .yaw)
      try container.encode(probeView.sharpness, forKey: .sharpness)
      try container.encode(probeView.padding, forKey: .padding)
      try container.encodeIfPresent(probeView.rank, forKey: .probeRank)
      try container.encodeIfPresent(probeView.trackProbes, forKey: .trackProbes)
    }
  }
}

/// How a probe face was seen: `face_px` (short side of its box, frame pixels), `yaw_deg`,
/// `sharpness` (Laplacian variance of the in-frame part of its 112×112 alignment) and `padding`
/// (share of that alignment outside the frame). Rounded to 0.01 (0.0001 for `padding`). Also
/// which of its track's probes it is: `probe_rank` (1: the best by quality) of `track_probes`
/// (the track's probes that passed the gates); ranks missing from a track's rows were not
/// embedded (docs/harvest.md, "Probes by need").
public struct ProbeView: Codable, Hashable, Sendable {
  /// `face_px`.
  public var faceSize: Double
  /// `yaw_deg`.
  public var yaw: Double
  /// `sharpness`.
  public var sharpness: Double
  /// `padding`.
  public var padding: Double
  /// `probe_rank` (nil in files written before it).
  public var rank: Int?
  /// `track_probes` (nil in files written before it).
  public var trackProbes: Int?

  /// A probe view, rounded as the file keeps it.
  public init(
    faceSize: Double, yaw: Double, sharpness: Double, padding: Double, rank: Int? = nil,
    trackProbes: Int? = nil
  ) {
    self.faceSize = (faceSize * 100).rounded() / 100
    self.yaw = (yaw * 100).rounded() / 100
    self.sharpness = (sharpness * 100).rounded() / 100
    self.padding = (padding * 10_000).rounded() / 10_000
    self.rank = rank
    self.trackProbes = trackProbes
  }
}

/// A row of `frames/{ep_id}/crops_debug.jsonl` (written when `DEBUG_THUMBS=1`): what happened
/// to one sampled crop, accepted (`status: "success"`) or not (`status: "rejected"` with a
/// `reason`).
public struct CropDebugEntry: Codable, Hashable, Sendable {
  /// `frame_idx`.
  public var frameIndex: Int
  /// `track_id`.
  public var trackID: String
  /// `bbox`: the detector's box, normalised (may lie outside [0, 1] for a rejected crop).
  public var bbox: [Double]
  /// `crop_path`: relative to `frames/{ep_id}/`, `""` when no crop was written.
  public var cropPath: String
  /// `status`: `success` or `rejected`.
  public var status: String
  /// `quality_score`, when computed; omitted while `nil`.
  public var qualityScore: Double?
  /// `reason`: why the crop was rejected (see DECISIONS.md, Quality); omitted while `nil`.
  public var reason: String?
  /// `padding`: share of the aligned crop outside the frame (docs/harvest.md, "Faces at the
  /// frame edge"), when the crop was cut, rounded to 0.0001; omitted while `nil`.
  public var padding: Double?

  enum CodingKeys: String, CodingKey {
    case frameIndex = "frame_idx"
    case trackID = "track_id"
    case bbox
    case cropPath = "crop_path"
    case status
    case qualityScore = "quality_score"
    case reason
    case padding
  }

  /// A crop debug row.
  public init(
    frameIndex: Int, trackID: String, bbox: [Double], cropPath: String, status: String,
    qualityScore: Double? = nil, reason: String? = nil, padding: Double? = nil
  ) {
    self.padding = padding.map { ($0 * 10_000).rounded() / 10_000 }
    self.frameIndex = frameIndex
    self.trackID = trackID
    self.bbox = bbox
    self.cropPath = cropPath
    self.status = status
    self.qualityScore = qualityScore
    self.reason = reason
  }
}
