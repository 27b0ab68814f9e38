/// One face track: a row of `tracks.jsonl` (`track_v1`).
public struct Track: Codable, Hashable, Sendable {
  /// `track_id`: `track-{N:05d}`.
  public var trackID: String
  /// `ep_id`: the episode.
  public var epID: String
  /// `start_s`: start time in seconds.
  public var startSeconds: Double
  /// `end_s`: end time in seconds (≥ `startSeconds`).
  public var endSeconds: Double
  /// `frame_span`: `[start_frame, end_frame]`, inclusive.
  public var frameSpan: [Int]
  /// `sample_thumbs`: thumbnail paths; empty when crops were not saved (and when the field is
  /// absent from the JSON).
  public var sampleThumbs: [String]
  /// `stats`: detection count and mean confidence.
  public var stats: TrackStats
  /// `schema_version`: `track_v1`.
  public var schemaVersion: String

  enum CodingKeys: String, CodingKey {
    case trackID = "track_id"
    case epID = "ep_id"
    case startSeconds = "start_s"
    case endSeconds = "end_s"
    case frameSpan = "frame_span"
    case sampleThumbs = "sample_thumbs"
    case stats
    case schemaVersion = "schema_version"
  }

  /// A track row; `schemaVersion` defaults to `track_v1`.
  public init(
    trackID: String, epID: String, startSeconds: Double, endSeconds: Double, frameSpan: [Int],
    sampleThumbs: [String] = [], stats: TrackStats, schemaVersion: String = SchemaVersion.track
  ) {
    self.trackID = trackID
    self.epID = epID
    self.startSeconds = startSeconds
    self.endSeconds = endSeconds
    self.frameSpan = frameSpan
    self.sampleThumbs = sampleThumbs
    self.stats = stats
    self.schemaVersion = schemaVersion
  }

  /// Decodes a row; a missing `sample_thumbs` becomes `[]`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    trackID = try container.decode(String.self, forKey: .trackID)
    epID = try container.decode(String.self, forKey: .epID)
    startSeconds = try container.decode(Double.self, forKey: .startSeconds)
    endSeconds = try container.decode(Double.self, forKey: .endSeconds)
    frameSpan = try container.decode([Int].self, forKey: .frameSpan)
    sampleThumbs = try container.decodeIfPresent([String].self, forKey: .sampleThumbs) ?? []
    stats = try container.decode(TrackStats.self, forKey: .stats)
    schemaVersion = try container.decode(String.self, forKey: .schemaVersion)
  }
}

/// The `stats` block of a track.
public struct TrackStats: Codable, Hashable, Sendable {
  /// `detections`: number of detections in the track (≥ 1).
  public var detections: Int
  /// `avg_conf`: mean detector confidence.
  public var avgConf: Double

  enum CodingKeys: String, CodingKey {
    case detections
    case avgConf = "avg_conf"
  }

  /// Track statistics.
  public init(detections: Int, avgConf: Double) {
    self.detections = detections
    self.avgConf = avgConf
  }
}
