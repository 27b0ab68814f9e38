import Foundation

/// One shot of an episode: a row of `manifests/{ep_id}/shots.jsonl` (`shot_v1`), written by
/// detect-track. Consecutive shots are separated by a hard cut; no track crosses one.
public struct Shot: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `shot_idx`: 0, 1, … in time order.
  public var shotIndex: Int
  /// `frame_span`: `[first, last]` frame of the shot, inclusive (the frames between the first
  /// analysed frame after the cut and the last analysed frame before the next).
  public var frameSpan: [Int]
  /// `start_s`: time of the shot's first frame.
  public var startSeconds: Double
  /// `end_s`: time of the shot's last frame.
  public var endSeconds: Double
  /// `histogram`: the mean normalised colour histogram of the shot's analysed frames (the scene
  /// cut detector's 64 bins): what "the same camera set-up" is compared on.
  public var histogram: [Double]
  /// `schema_version`: `shot_v1`.
  public var schemaVersion: String

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case shotIndex = "shot_idx"
    case frameSpan = "frame_span"
    case startSeconds = "start_s"
    case endSeconds = "end_s"
    case histogram
    case schemaVersion = "schema_version"
  }

  /// A shot row; `schemaVersion` defaults to `shot_v1`.
  public init(
    epID: String, shotIndex: Int, frameSpan: [Int], startSeconds: Double, endSeconds: Double,
    histogram: [Double], schemaVersion: String = SchemaVersion.shot
  ) {
    self.epID = epID
    self.shotIndex = shotIndex
    self.frameSpan = frameSpan
    self.startSeconds = startSeconds
    self.endSeconds = endSeconds
    self.histogram = histogram
    self.schemaVersion = schemaVersion
  }
}

extension DataLayout {
  /// `manifests/{ep_id}/shots.jsonl` in shot order, or nil when detect-track has not written it
  /// (tracks from elsewhere: where the cuts are is unknown).
  public func readShots(_ episode: EpisodeID) throws -> [Shot]? {
    let url = shots(episode)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try JSONLReader<Shot>.readAll(from: url, displayPath: relativePath(url))
      .sorted { $0.shotIndex < $1.shotIndex }
  }
}
