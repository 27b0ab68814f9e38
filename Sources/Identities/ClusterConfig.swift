import Foundation
import PipelineConfig

/// Settings of the clustering stage. Precedence: flag > `config/pipeline/clustering.yaml` >
/// default.
public struct ClusterConfig: Sendable, Equatable {
  /// Cosine similarity at or above which (linkage-combined) tracks join one identity; nil takes
  /// the embedder's `identity_threshold` from the model manifest.
  public var clusterThresh: Double?
  /// Clusters with fewer tracks become singleton identities (`cluster_id: null`).
  public var minClusterSize = 2
  /// Linkage.
  public var linkage = Linkage.average
  /// Faces whose similarity to the track's median is this far below the closest face's are
  /// left out of the track's pooled embedding.
  public var trimDistance = 0.25
  /// Screen time bridges a gap of at most this many seconds between two spans of one identity
  /// inside one shot (docs/screentime.md).
  public var screentimeGapSeconds = 0.5

  /// The defaults.
  public init() {}

  /// The config file's keys.
  public static let keys: Set<String> = [
    "cluster_thresh", "min_cluster_size", "linkage", "trim_distance", "screentime_gap_seconds",
  ]

  /// The default config file path.
  public static let defaultPath = "config/pipeline/clustering.yaml"

  /// `base` (the defaults unless given) overridden by the keys present in `file`; an unknown key
  /// is an error.
  public static func load(_ file: ConfigFile, over base: ClusterConfig = ClusterConfig()) throws
    -> ClusterConfig
  {
    try file.rejectUnknownKeys(keys)
    var config = base
    config.clusterThresh = try file.double("cluster_thresh", in: -1...1) ?? config.clusterThresh
    config.minClusterSize =
      try file.int("min_cluster_size", in: 1...1_000_000) ?? config.minClusterSize
    config.linkage = try file.choice("linkage", as: Linkage.self) ?? config.linkage
    config.trimDistance = try file.double("trim_distance", in: 0...2) ?? config.trimDistance
    config.screentimeGapSeconds =
      try file.double("screentime_gap_seconds", in: 0...3600) ?? config.screentimeGapSeconds
    return config
  }
}
