/// `cleanup_report.json`: what an episode clean-up did and the counts before and after.
///
/// The three summaries are optional: each is present when its action ran and omitted while
/// `nil`.
public struct CleanupReport: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `actions_run`: e.g. `["split_tracks", "reembed", "recluster"]`.
  public var actionsRun: [String]
  /// `before`: counts before the clean-up.
  public var before: CleanupCounts
  /// `after`: counts after the clean-up.
  public var after: CleanupCounts
  /// `split_tracks_summary`.
  public var splitTracksSummary: SplitTracksSummary?
  /// `reembed_summary`.
  public var reembedSummary: ReembedSummary?
  /// `recluster_summary`.
  public var reclusterSummary: ReclusterSummary?
  /// `elapsed_sec`: wall-clock runtime.
  public var elapsedSeconds: Double
  /// `created_at`: ISO-8601 timestamp.
  public var createdAt: String

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case actionsRun = "actions_run"
    case before
    case after
    case splitTracksSummary = "split_tracks_summary"
    case reembedSummary = "reembed_summary"
    case reclusterSummary = "recluster_summary"
    case elapsedSeconds = "elapsed_sec"
    case createdAt = "created_at"
  }

  /// A clean-up report.
  public init(
    epID: String, actionsRun: [String], before: CleanupCounts, after: CleanupCounts,
    splitTracksSummary: SplitTracksSummary? = nil, reembedSummary: ReembedSummary? = nil,
    reclusterSummary: ReclusterSummary? = nil, elapsedSeconds: Double, createdAt: String
  ) {
    self.epID = epID
    self.actionsRun = actionsRun
    self.before = before
    self.after = after
    self.splitTracksSummary = splitTracksSummary
    self.reembedSummary = reembedSummary
    self.reclusterSummary = reclusterSummary
    self.elapsedSeconds = elapsedSeconds
    self.createdAt = createdAt
  }
}

/// The `before` / `after` blocks of a clean-up report.
public struct CleanupCounts: Codable, Hashable, Sendable {
  /// `num_tracks`.
  public var numTracks: Int
  /// `num_faces`.
  public var numFaces: Int
  /// `num_clusters`.
  public var numClusters: Int
  /// `singleton_fraction`.
  public var singletonFraction: Double

  enum CodingKeys: String, CodingKey {
    case numTracks = "num_tracks"
    case numFaces = "num_faces"
    case numClusters = "num_clusters"
    case singletonFraction = "singleton_fraction"
  }

  /// Episode counts.
  public init(numTracks: Int, numFaces: Int, numClusters: Int, singletonFraction: Double) {
    self.numTracks = numTracks
    self.numFaces = numFaces
    self.numClusters = numClusters
    self.singletonFraction = singletonFraction
  }
}

/// `split_tracks_summary`.
public struct SplitTracksSummary: Codable, Hashable, Sendable {
  /// `tracks_split`.
  public var tracksSplit: Int
  /// `new_tracks_created`.
  public var newTracksCreated: Int

  enum CodingKeys: String, CodingKey {
    case tracksSplit = "tracks_split"
    case newTracksCreated = "new_tracks_created"
  }

  /// A split-tracks summary.
  public init(tracksSplit: Int, newTracksCreated: Int) {
    self.tracksSplit = tracksSplit
    self.newTracksCreated = newTracksCreated
  }
}

/// `reembed_summary`.
public struct ReembedSummary: Codable, Hashable, Sendable {
  /// `faces_rejected`.
  public var facesRejected: Int
  /// `mean_quality_before`.
  public var meanQualityBefore: Double
  /// `mean_quality_after`.
  public var meanQualityAfter: Double

  enum CodingKeys: String, CodingKey {
    case facesRejected = "faces_rejected"
    case meanQualityBefore = "mean_quality_before"
    case meanQualityAfter = "mean_quality_after"
  }

  /// A re-embed summary.
  public init(facesRejected: Int, meanQualityBefore: Double, meanQualityAfter: Double) {
    self.facesRejected = facesRejected
    self.meanQualityBefore = meanQualityBefore
    self.meanQualityAfter = meanQualityAfter
  }
}

/// `recluster_summary`.
public struct ReclusterSummary: Codable, Hashable, Sendable {
  /// `clusters_merged`.
  public var clustersMerged: Int

  enum CodingKeys: String, CodingKey {
    case clustersMerged = "clusters_merged"
  }

  /// A re-cluster summary.
  public init(clustersMerged: Int) {
    self.clustersMerged = clustersMerged
  }
}
