/// `track_metrics.json`: tracking statistics for one episode.
public struct TrackMetrics: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `tracks_born`: tracks created.
  public var tracksBorn: Int
  /// `tracks_lost`: tracks terminated.
  public var tracksLost: Int
  /// `id_switches`: track id reassignments.
  public var idSwitches: Int
  /// `longest_tracks`: the (up to five) longest tracks by frame count.
  public var longestTracks: [LongestTrack]
  /// `avg_tracks_per_frame`.
  public var avgTracksPerFrame: Double
  /// `tracks_per_minute`: `tracks_born / episode minutes`.
  public var tracksPerMinute: Double
  /// `short_track_fraction`: fraction of tracks below the short-track threshold.
  public var shortTrackFraction: Double
  /// `total_frames`: frames analysed.
  public var totalFrames: Int
  /// `analyzed_fps`: effective throughput.
  public var analyzedFPS: Double
  /// `elapsed_sec`: wall-clock runtime.
  public var elapsedSeconds: Double
  /// `device`: `cpu`, `cuda`, `mps`, …
  public var device: String
  /// `detector`: detector model name.
  public var detector: String
  /// `tracker`: tracker algorithm.
  public var tracker: String
  /// `scene_cuts`: scene changes detected.
  public var sceneCuts: Int

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case tracksBorn = "tracks_born"
    case tracksLost = "tracks_lost"
    case idSwitches = "id_switches"
    case longestTracks = "longest_tracks"
    case avgTracksPerFrame = "avg_tracks_per_frame"
    case tracksPerMinute = "tracks_per_minute"
    case shortTrackFraction = "short_track_fraction"
    case totalFrames = "total_frames"
    case analyzedFPS = "analyzed_fps"
    case elapsedSeconds = "elapsed_sec"
    case device
    case detector
    case tracker
    case sceneCuts = "scene_cuts"
  }

  /// Track metrics for one episode.
  public init(
    epID: String, tracksBorn: Int, tracksLost: Int, idSwitches: Int, longestTracks: [LongestTrack],
    avgTracksPerFrame: Double, tracksPerMinute: Double, shortTrackFraction: Double,
    totalFrames: Int, analyzedFPS: Double, elapsedSeconds: Double, device: String,
    detector: String, tracker: String, sceneCuts: Int
  ) {
    self.epID = epID
    self.tracksBorn = tracksBorn
    self.tracksLost = tracksLost
    self.idSwitches = idSwitches
    self.longestTracks = longestTracks
    self.avgTracksPerFrame = avgTracksPerFrame
    self.tracksPerMinute = tracksPerMinute
    self.shortTrackFraction = shortTrackFraction
    self.totalFrames = totalFrames
    self.analyzedFPS = analyzedFPS
    self.elapsedSeconds = elapsedSeconds
    self.device = device
    self.detector = detector
    self.tracker = tracker
    self.sceneCuts = sceneCuts
  }
}

/// An entry of `longest_tracks`.
public struct LongestTrack: Codable, Hashable, Sendable {
  /// `track_id`.
  public var trackID: String
  /// `length`: frames in the track.
  public var length: Int

  enum CodingKeys: String, CodingKey {
    case trackID = "track_id"
    case length
  }

  /// One longest-track entry.
  public init(trackID: String, length: Int) {
    self.trackID = trackID
    self.length = length
  }
}
