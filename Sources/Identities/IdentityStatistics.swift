import Artifacts
import Foundation

/// The numbers `identities.json` carries about identities (docs/identities.md).
extension IdentityClusterer {
  /// `previous` with its counts recomputed from `identities` (the settings and `created_at`
  /// stay: they describe the clustering run).
  static func metadata(_ identities: [Identity], previous: IdentitiesMetadata)
    -> IdentitiesMetadata
  {
    var metadata = previous
    let tracks = identities.reduce(0) { $0 + $1.trackIDs.count }
    let singletonTracks = identities.filter { $0.clusterID == nil }.reduce(0) {
      $0 + $1.trackIDs.count
    }
    let largest = identities.map(\.trackIDs.count).max() ?? 0
    metadata.numTracks = tracks
    metadata.numClusters = identities.filter { $0.clusterID != nil }.count
    metadata.numSingletons = singletonTracks
    metadata.singletonFraction = tracks > 0 ? Double(singletonTracks) / Double(tracks) : 0
    metadata.largestClusterSize = largest
    metadata.largestClusterFraction = tracks > 0 ? Double(largest) / Double(tracks) : 0
    return metadata
  }

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
