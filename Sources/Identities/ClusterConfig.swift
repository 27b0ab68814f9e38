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
  /// A track seen only in probe faces joins an identity (not another probe-only track) at or
  /// above this similarity; nil: `cluster_thresh` − 0.1 (docs/identities.md, "Coverage").
  public var probeThresh: Double?
  /// ... and only when the runner-up identity is at least this much less similar.
  public var probeMargin = 0.05
  /// A probe-only track whose mean detector confidence is below this is `not_a_face`.
  public var probeMinTrackConf = 0.3
  /// A lone probe-only track that matches nothing is an identity of its own when its mean
  /// detector confidence is at least this ...
  public var probeSoloMinConf = 0.8
  /// ... it lasts at least this many seconds ...
  public var probeSoloMinSeconds = 1.0
  /// ... and no identity is even this similar to it.
  public var probeSoloMaxSimilarity = 0.15
  /// Similarity added to two tracks of one shot thread at the same place (0 turns it off).
  public var threadBonus = 0.1
  /// Largest colour-histogram distance between two shots of one thread.
  public var threadMaxDistance = 0.1
  /// Smallest IoU of the two tracks' mean boxes for the thread bonus.
  public var threadMinIoU = 0.3
  /// Screen time bridges a gap of at most this many seconds between two spans of one identity
  /// inside one shot (docs/screentime.md).
  public var screentimeGapSeconds = 0.5

  /// The defaults.
  public init() {}

  /// The config file's keys.
  public static let keys: Set<String> = [
    "cluster_thresh", "min_cluster_size", "linkage", "trim_distance", "probe_thresh",
    "probe_margin", "probe_min_track_conf", "thread_bonus", "thread_max_distance",
    "thread_min_iou", "screentime_gap_seconds", "probe_solo_min_conf", "probe_solo_min_seconds",
    "probe_solo_max_similarity",
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
    config.probeThresh = try file.double("probe_thresh", in: -1...1) ?? config.probeThresh
    config.probeMargin = try file.double("probe_margin", in: 0...2) ?? config.probeMargin
    config.probeMinTrackConf =
      try file.double("probe_min_track_conf", in: 0...1) ?? config.probeMinTrackConf
    config.probeSoloMinConf =
      try file.double("probe_solo_min_conf", in: 0...1) ?? config.probeSoloMinConf
    config.probeSoloMinSeconds =
      try file.double("probe_solo_min_seconds", in: 0...86_400) ?? config.probeSoloMinSeconds
    config.probeSoloMaxSimilarity =
      try file.double("probe_solo_max_similarity", in: -1...1) ?? config.probeSoloMaxSimilarity
    config.threadBonus = try file.double("thread_bonus", in: 0...1) ?? config.threadBonus
    config.threadMaxDistance =
      try file.double("thread_max_distance", in: 0...1) ?? config.threadMaxDistance
    config.threadMinIoU = try file.double("thread_min_iou", in: 0...1) ?? config.threadMinIoU
    config.screentimeGapSeconds =
      try file.double("screentime_gap_seconds", in: 0...3600) ?? config.screentimeGapSeconds
    return config
  }
}
