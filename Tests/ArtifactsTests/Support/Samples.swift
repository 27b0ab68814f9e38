import Foundation

@testable import Artifacts

/// Small, valid values of every artifact type.
enum Samples {
  static let episode = "ep-test"
  static let landmarks: [Double] = [0.15, 0.25, 0.25, 0.25, 0.2, 0.3, 0.15, 0.35, 0.25, 0.35]
  static let timestamp = "2025-11-18T12:34:56Z"

  static func detection(frame: Int = 42, trackID: String? = "track-00001") -> Detection {
    Detection(
      epID: episode, frameIndex: frame, timestamp: Double(frame) / 24, bbox: [0.1, 0.2, 0.3, 0.4],
      landmarks: landmarks, conf: 0.95, modelID: "retinaface_r50_v1", trackID: trackID)
  }

  static func track(_ number: Int, frames: ClosedRange<Int>, thumbs: [String] = []) -> Track {
    Track(
      trackID: ArtifactID.track(number), epID: episode,
      startSeconds: Double(frames.lowerBound) / 24,
      endSeconds: Double(frames.upperBound) / 24,
      frameSpan: [frames.lowerBound, frames.upperBound],
      sampleThumbs: thumbs, stats: TrackStats(detections: frames.count, avgConf: 0.92))
  }

  static func face(_ number: Int, track: Int, frame: Int, width: Int = 8) -> Face {
    let trackID = ArtifactID.track(track)
    return Face(
      faceID: ArtifactID.face(number), trackID: trackID, frameIndex: frame,
      bbox: [0.1, 0.2, 0.3, 0.4], landmarks: landmarks,
      embedding: unitVector(seed: number, width: width), qualityScore: 0.87,
      cropPath: DataLayout.cropRelativePath(trackID: trackID, frameIndex: frame))
  }

  static func trackMetrics() -> TrackMetrics {
    TrackMetrics(
      epID: episode, tracksBorn: 3, tracksLost: 3, idSwitches: 0,
      longestTracks: [
        LongestTrack(trackID: "track-00002", length: 31),
        LongestTrack(trackID: "track-00003", length: 21),
      ], avgTracksPerFrame: 1.2, tracksPerMinute: 18.5, shortTrackFraction: 0.12, totalFrames: 51,
      analyzedFPS: 8.0, elapsedSeconds: 1.5, device: "cpu", detector: "retinaface",
      tracker: "bytetrack", sceneCuts: 1)
  }

  static func identities() -> IdentitiesDocument {
    IdentitiesDocument(
      identities: [
        Identity(
          identityID: "identity-00001", clusterID: 1, trackIDs: ["track-00001", "track-00002"],
          canonicalFacePath: "thumbs/identity-00001/rep.jpg",
          embeddingStats: EmbeddingStats(
            centroidNorm: 1.0, variance: 0.023, numTracks: 2, numFacesTotal: 3),
          labels: ["person_id": "lisa-vanderpump", "name": "Lisa Vanderpump"], locked: true,
          createdAt: timestamp, updatedAt: timestamp),
        Identity(
          identityID: "identity-00002", clusterID: nil, trackIDs: ["track-00003"],
          canonicalFacePath: "thumbs/identity-00002/rep.jpg",
          embeddingStats: EmbeddingStats(
            centroidNorm: 1.0, variance: 0, numTracks: 1, numFacesTotal: 1),
          createdAt: timestamp, updatedAt: "2025-11-18T12:35:00.250Z"),
      ],
      metadata: IdentitiesMetadata(
        epID: episode, numTracks: 3, numClusters: 1, numSingletons: 1, singletonFraction: 0.33,
        largestClusterSize: 2, largestClusterFraction: 0.67, clusterThresh: 0.58,
        minClusterSize: 2, algorithm: "agglomerative", linkage: "average", createdAt: timestamp,
        unidentifiedTracks: []))
  }

  /// Shots of frames 0–50 (all three tracks) and 51–60, at 24 frames per second.
  static func shots() -> [Shot] {
    [(0, 0...50), (1, 51...60)].map { index, frames in
      Shot(
        epID: episode, shotIndex: index, frameSpan: [frames.lowerBound, frames.upperBound],
        startSeconds: Double(frames.lowerBound) / 24, endSeconds: Double(frames.upperBound) / 24,
        histogram: (0..<64).map { $0 == index ? 0.75 : 0.25 / 63 })
    }
  }

  /// Screen time of `identities()`, a name with a comma and a quote.
  static func screenTime() -> ScreenTimeReport {
    ScreenTimeReport(
      epID: episode, durationSeconds: 2.5, frameStepSeconds: 1.0 / 24, gapSeconds: 0.5,
      cutsKnown: true, timingSource: "track_metrics.json",
      identities: [
        ScreenTimeEntry(
          identityID: "identity-00001", name: "Vanderpump, \"Lisa\"", personID: "lisa-vanderpump",
          seconds: 1.75, share: 0.7, numTracks: 2, firstSeenSeconds: 0, lastSeenSeconds: 40.0 / 24),
        ScreenTimeEntry(
          identityID: "identity-00002", name: nil, personID: nil, seconds: 0.9, share: 0.36,
          numTracks: 1, firstSeenSeconds: 30.0 / 24, lastSeenSeconds: 50.0 / 24),
      ],
      unidentified: UnidentifiedScreenTime(seconds: 0, share: 0, numTracks: 0))
  }

  static func cleanupReport(withSummaries: Bool = true) -> CleanupReport {
    CleanupReport(
      epID: episode, actionsRun: withSummaries ? ["split_tracks", "reembed", "recluster"] : [],
      before: CleanupCounts(
        numTracks: 42, numFaces: 2048, numClusters: 18, singletonFraction: 0.38),
      after: CleanupCounts(numTracks: 58, numFaces: 1876, numClusters: 12, singletonFraction: 0.15),
      splitTracksSummary: withSummaries
        ? SplitTracksSummary(tracksSplit: 8, newTracksCreated: 16) : nil,
      reembedSummary: withSummaries
        ? ReembedSummary(facesRejected: 172, meanQualityBefore: 0.72, meanQualityAfter: 0.84) : nil,
      reclusterSummary: withSummaries ? ReclusterSummary(clustersMerged: 6) : nil,
      elapsedSeconds: 245.3, createdAt: timestamp)
  }
}
