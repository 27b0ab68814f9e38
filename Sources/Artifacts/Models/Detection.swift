/// One face detection in one frame: a row of `detections.jsonl` (`det_v1`).
///
/// Coordinates are normalised to [0, 1] of the frame. `trackID` (`track_id`) is the decision's
/// extra field, present once tracking has run and omitted from the JSON while `nil`.
public struct Detection: Codable, Hashable, Sendable {
  /// `ep_id`: the episode.
  public var epID: String
  /// `frame_idx`: zero-based frame number.
  public var frameIndex: Int
  /// `ts_s`: timestamp in seconds.
  public var timestamp: Double
  /// `bbox`: `[x1, y1, x2, y2]`, normalised.
  public var bbox: [Double]
  /// `landmarks`: `[x, y] × 5` (left eye, right eye, nose, left mouth, right mouth), normalised.
  public var landmarks: [Double]
  /// `conf`: detector confidence in [0, 1].
  public var conf: Double
  /// `model_id`: the detector model, e.g. `retinaface_r50_v1`.
  public var modelID: String
  /// `schema_version`: `det_v1`.
  public var schemaVersion: String
  /// `track_id`: the track this detection belongs to, once tracking has run.
  public var trackID: String?

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case frameIndex = "frame_idx"
    case timestamp = "ts_s"
    case bbox
    case landmarks
    case conf
    case modelID = "model_id"
    case schemaVersion = "schema_version"
    case trackID = "track_id"
  }

  /// A detection row; `schemaVersion` defaults to `det_v1`.
  public init(
    epID: String, frameIndex: Int, timestamp: Double, bbox: [Double], landmarks: [Double],
    conf: Double, modelID: String, schemaVersion: String = SchemaVersion.detection,
    trackID: String? = nil
  ) {
    self.epID = epID
    self.frameIndex = frameIndex
    self.timestamp = timestamp
    self.bbox = bbox
    self.landmarks = landmarks
    self.conf = conf
    self.modelID = modelID
    self.schemaVersion = schemaVersion
    self.trackID = trackID
  }
}
