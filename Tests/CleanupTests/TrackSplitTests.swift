import Artifacts
import Testing

@testable import Cleanup

/// `TrackSplit`: how the rows of a split track are renamed, without any file.
@Suite("Clean-up: relabelling a split track")
struct TrackSplitTests {
  static func track(_ number: Int) -> Track {
    Track(
      trackID: ArtifactID.track(number), epID: "ep", startSeconds: 0, endSeconds: 1,
      frameSpan: [0, 9], stats: TrackStats(detections: 4, avgConf: 0.8))
  }

  static func detection(_ frame: Int, _ track: Int, conf: Double = 0.8) -> Detection {
    Detection(
      epID: "ep", frameIndex: frame, timestamp: Double(frame) / 10, bbox: [0, 0, 1, 1],
      landmarks: Array(repeating: 0.5, count: 10), conf: conf, modelID: "m",
      trackID: ArtifactID.track(track))
  }

  @Test("the halves take the next ids; rows before the switch go to the first half")
  func halves() {
    let split = TrackSplit(
      switchFrames: ["track-00002": 5], tracks: [Self.track(1), Self.track(7), Self.track(2)])
    #expect(split.newIDs["track-00002"]?.before == "track-00008")
    #expect(split.newIDs["track-00002"]?.after == "track-00009")
    #expect(split.renamed("track-00002", frame: 4) == "track-00008")
    #expect(split.renamed("track-00002", frame: 5) == "track-00009")
    #expect(split.renamed("track-00001", frame: 5) == "track-00001")
  }

  @Test("detections, tracks, faces, crops and identities follow the split")
  func relabelEverything() {
    let split = TrackSplit(
      switchFrames: ["track-00001": 5], tracks: [Self.track(1), Self.track(2)])
    let (detections, spans) = split.relabel([
      Self.detection(0, 1, conf: 0.6), Self.detection(4, 1, conf: 1.0), Self.detection(6, 1),
      Self.detection(6, 2),
    ])
    #expect(
      detections.map(\.trackID) == ["track-00003", "track-00003", "track-00004", "track-00002"])
    let tracks = split.tracks([Self.track(1), Self.track(2)], spans: spans)
    #expect(tracks.map(\.trackID) == ["track-00003", "track-00004", "track-00002"])
    #expect(tracks[0].frameSpan == [0, 4] && tracks[0].stats.detections == 2)
    #expect(abs(tracks[0].stats.avgConf - 0.8) < 1e-12)
    #expect(split.newTracks(in: tracks) == 2)

    let face = Face(
      faceID: "face-00001", trackID: "track-00001", frameIndex: 6, bbox: [0, 0, 1, 1],
      landmarks: Array(repeating: 0.5, count: 10), embedding: [1], qualityScore: 0.9,
      cropPath: "crops/track-00001/frame_000006.jpg")
    let (faces, moves) = split.relabel([face])
    #expect(faces[0].trackID == "track-00004")
    #expect(faces[0].cropPath == "crops/track-00004/frame_000006.jpg")
    #expect(moves.map(\.from) == ["crops/track-00001/frame_000006.jpg"])

    let identity = Identity(
      identityID: "identity-00001", clusterID: nil, trackIDs: ["track-00001", "track-00002"],
      canonicalFacePath: "",
      embeddingStats: EmbeddingStats(
        centroidNorm: 1, variance: 0, numTracks: 2, numFacesTotal: 2),
      createdAt: "t0", updatedAt: "t0")
    let document = IdentitiesDocument(
      identities: [identity],
      metadata: IdentitiesMetadata(
        epID: "ep", numTracks: 2, numClusters: 0, numSingletons: 1, singletonFraction: 1,
        largestClusterSize: 2, largestClusterFraction: 1, clusterThresh: 0.5, minClusterSize: 1,
        algorithm: "agglomerative", linkage: "average", createdAt: "t0"))
    var rejected = document
    rejected.metadata.rejectedPairs = [["track-00001", "track-00002"]]
    #expect(
      split.relabel(rejected, spans: spans, timestamp: "t1").metadata.rejectedPairs == [
        ["track-00002", "track-00003"], ["track-00002", "track-00004"],
      ])
    let relabelled = split.relabel(document, spans: spans, timestamp: "t1")
    #expect(relabelled.identities[0].trackIDs == ["track-00003", "track-00004", "track-00002"])
    #expect(relabelled.identities[0].updatedAt == "t1")
  }

  @Test(
    "each review thumbnail goes to the half holding its frame; an older harvest's crop list does not move"
  )
  func thumbnailsFollowTheSplit() {
    var first = Self.track(1)
    first.sampleThumbs = [
      "crops/track-00001/thumb_000000.jpg", "crops/track-00001/frame_000004.jpg",
      "crops/track-00001/thumb_000006.jpg",
    ]
    var second = Self.track(2)
    second.sampleThumbs = ["crops/track-00002/thumb_000006.jpg"]
    let split = TrackSplit(switchFrames: ["track-00001": 5], tracks: [first, second])
    let (_, spans) = split.relabel([
      Self.detection(0, 1), Self.detection(4, 1), Self.detection(6, 1), Self.detection(6, 2),
    ])
    let tracks = split.tracks([first, second], spans: spans)
    #expect(
      tracks.map(\.sampleThumbs) == [
        ["crops/track-00003/thumb_000000.jpg"], ["crops/track-00004/thumb_000006.jpg"],
        ["crops/track-00002/thumb_000006.jpg"],
      ])
    let moves = split.relabelThumbs([first, second]).moves
    #expect(
      moves.map(\.from) == [
        "crops/track-00001/thumb_000000.jpg", "crops/track-00001/thumb_000006.jpg",
      ])
    #expect(
      moves.map(\.to) == [
        "crops/track-00003/thumb_000000.jpg", "crops/track-00004/thumb_000006.jpg",
      ])
  }
}
