import DetectTrack
import Harvest
import Identities
import PipelineConfig

/// The stages of an episode run, in the order they run (docs/configuration.md).
public enum PipelineStage: String, CaseIterable, Comparable, Sendable {
  /// Detect & track: detections, tracks, shots.
  case detectTrack = "detect_track"
  /// Faces harvest: crops, quality gates, embeddings.
  case facesEmbed = "faces_embed"
  /// Identities: clustering, coverage, screen time.
  case cluster

  public static func < (lhs: Self, rhs: Self) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }

  /// The stage's config keys.
  public var keys: Set<String> {
    switch self {
    case .detectTrack: TrackingConfig.keys
    case .facesEmbed: HarvestConfig.keys
    case .cluster: ClusterConfig.keys
    }
  }

  /// The stage's default config file name under the config directory.
  public var defaultFileName: String {
    switch self {
    case .detectTrack: TrackingConfig.defaultFileName
    case .facesEmbed: HarvestConfig.defaultFileName
    case .cluster: ClusterConfig.defaultFileName
    }
  }

  /// The stage a config key belongs to.
  public static func owning(_ key: String) -> PipelineStage? {
    allCases.first { $0.keys.contains(key) }
  }
}
