/// The stages of an episode run, in the order they run (docs/configuration.md). Each stage's
/// config keys and default file are `EpisodePipeline`'s to know.
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
}
