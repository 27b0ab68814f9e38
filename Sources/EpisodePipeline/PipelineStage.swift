import DetectTrack
public import FaceHarvestCore
import Harvest
import Identities
import PipelineConfig

extension PipelineStage {
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
