import Artifacts
import Foundation

/// The embedding statistics `identities.json` carries about each identity (docs/identities.md):
/// they need the pooled tracks, which only clustering has.
extension IdentityClusterer {
  /// Centroid norm, variance (mean squared distance of the members to their mean), counts.
  static func stats(_ tracks: [PooledTrack]) -> EmbeddingStats {
    guard let width = tracks.first?.vector.count else {
      return EmbeddingStats(centroidNorm: 0, variance: 0, numTracks: 0, numFacesTotal: 0)
    }
    var mean = [Double](repeating: 0, count: width)
    for track in tracks {
      for dimension in 0..<width { mean[dimension] += Double(track.vector[dimension]) }
    }
    mean = mean.map { $0 / Double(tracks.count) }
    var variance = 0.0
    for track in tracks {
      for dimension in 0..<width {
        let difference = Double(track.vector[dimension]) - mean[dimension]
        variance += difference * difference
      }
    }
    return EmbeddingStats(
      centroidNorm: (mean.reduce(0) { $0 + $1 * $1 }).squareRoot(),
      variance: variance / Double(tracks.count), numTracks: tracks.count,
      numFacesTotal: tracks.reduce(0) { $0 + $1.numFaces })
  }
}
