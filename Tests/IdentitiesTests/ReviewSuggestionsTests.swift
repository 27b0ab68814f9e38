import Artifacts
import Foundation
import Testing

@testable import Identities

@Suite("Review by suggestion: candidates, exclusions, likely merges")
struct ReviewSuggestionsTests {
  static func identity(_ number: Int, tracks: [Int], locked: Bool = false) -> Identity {
    Identity(
      identityID: ArtifactID.identity(number), clusterID: nil,
      trackIDs: tracks.map(ArtifactID.track),
      canonicalFacePath: "",
      embeddingStats: EmbeddingStats(
        centroidNorm: 1, variance: 0, numTracks: tracks.count, numFacesTotal: tracks.count),
      locked: locked, createdAt: "t0", updatedAt: "t0")
  }

  /// A unit vector at `degrees` in the plane: similarity is the cosine of the angle between.
  static func vector(_ degrees: Double) -> [Float] {
    [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180))]
  }

  static func document(_ identities: [Identity], unidentified: [Int], rejected: [[String]]? = nil)
    -> IdentitiesDocument
  {
    IdentitiesDocument(
      identities: identities,
      metadata: IdentitiesMetadata(
        epID: "ep", numTracks: 0, numClusters: 0, numSingletons: 0, singletonFraction: 0,
        largestClusterSize: 0, largestClusterFraction: 0, clusterThresh: 0.4, minClusterSize: 2,
        algorithm: "agglomerative", linkage: "average", createdAt: "t0",
        unidentifiedTracks: unidentified.map {
          UnidentifiedTrack(trackID: ArtifactID.track($0), reason: .unmatched)
        }, rejectedPairs: rejected))
  }

  /// Tracks 1–3 one person (0°–10°), 4–5 another (90°), 6 a third (45°); track 7 unidentified
  /// near the first person (20°), track 8 with no vector.
  static let evidence = ReviewSuggestions.Evidence(
    vectors: [
      "track-00001": vector(0), "track-00002": vector(5), "track-00003": vector(10),
      "track-00004": vector(90), "track-00005": vector(90), "track-00006": vector(45),
      "track-00007": vector(20),
    ], probeTracks: ["track-00007"], sharedFrames: [])

  @Test("an unidentified track gets the identities it resembles most, best first")
  func candidates() throws {
    let document = Self.document(
      [
        Self.identity(1, tracks: [1, 2]), Self.identity(2, tracks: [4, 5]),
        Self.identity(3, tracks: [3]), Self.identity(4, tracks: [6]),
      ], unidentified: [7, 8])
    let suggestions = ReviewSuggestions.compute(document, evidence: Self.evidence)
    let track = try #require(suggestions.subjects.first { $0.id == "track-00007" })
    #expect(track.kind == "track" && track.reason == "unmatched")
    #expect(
      track.candidates.map(\.identityID) == ["identity-00003", "identity-00001", "identity-00004"])
    #expect(abs(track.candidates[0].similarity - cos(10 * Double.pi / 180)) < 1e-3)
    #expect(track.candidates[0].why == "probe faces against 1 track of it")
    // No vector: listed, nothing to offer, after those with candidates.
    #expect(suggestions.subjects.last?.id == "track-00008")
    #expect(suggestions.subjects.last?.candidates.isEmpty == true)
    // A small identity is a subject too: identity-00003 (one track) belongs with identity-00001.
    let small = try #require(suggestions.subjects.first { $0.id == "identity-00003" })
    #expect(small.candidates.first?.identityID == "identity-00001")
    // Likely merges: never sharing a frame, most similar first; the bigger one first.
    #expect(suggestions.pairs.first?.identityIDs == ["identity-00001", "identity-00003"])
    // Below half of cluster_thresh (0.2 here) a pair is no "probably": 0° and 90° are 0 alike.
    #expect(
      !suggestions.pairs.contains { Set($0.identityIDs) == ["identity-00001", "identity-00002"] })
    #expect(suggestions.pairs.allSatisfy { $0.similarity >= 0.2 })
  }

  @Test("an identity sharing a frame with the track, or rejected for it, is excluded and said so")
  func exclusions() throws {
    var evidence = Self.evidence
    evidence.sharedFrames = [["track-00003", "track-00007"], ["track-00003", "track-00006"]]
    let document = Self.document(
      [
        Self.identity(1, tracks: [1, 2]), Self.identity(3, tracks: [3]),
        Self.identity(4, tracks: [6]),
      ],
      unidentified: [7], rejected: [["track-00001", "track-00007"]])
    let suggestions = ReviewSuggestions.compute(document, evidence: evidence)
    let track = try #require(suggestions.subjects.first { $0.id == "track-00007" })
    #expect(track.candidates.map(\.identityID) == ["identity-00004"])
    #expect(track.excluded.map(\.identityID) == ["identity-00003", "identity-00001"])
    #expect(track.excluded.map(\.reason) == ["shares a frame", "rejected"])
    // The identities of a shared frame are never a likely pair; the others are.
    let pairs = suggestions.pairs.map { Set($0.identityIDs) }
    #expect(!pairs.contains(["identity-00003", "identity-00004"]))
    #expect(pairs.contains(["identity-00001", "identity-00004"]))
  }

  @Test("locked identities are no subject, in no pair, and no candidate: listed as excluded")
  func locked() {
    let document = Self.document(
      [
        Self.identity(1, tracks: [1, 2], locked: true), Self.identity(3, tracks: [3], locked: true),
      ],
      unidentified: [7])
    let suggestions = ReviewSuggestions.compute(document, evidence: Self.evidence)
    #expect(suggestions.subjects.map(\.id) == ["track-00007"])
    #expect(suggestions.pairs.isEmpty)
    #expect(suggestions.subjects[0].candidates.isEmpty)
    #expect(suggestions.subjects[0].excluded.map(\.reason) == ["locked", "locked"])
  }

  @Test("an edit that puts a rejected pair in one identity drops the pair; others stay")
  func editOverrulesRejection() {
    var document = Self.document(
      [Self.identity(1, tracks: [1, 2]), Self.identity(3, tracks: [3])], unidentified: [7],
      rejected: [
        ["track-00001", "track-00002"], ["track-00001", "track-00003"],
        ["track-00003", "track-00007"],
      ])
    IdentityEditor.dropRejectionsJoined(in: &document)
    #expect(
      document.metadata.rejectedPairs == [
        ["track-00001", "track-00003"], ["track-00003", "track-00007"],
      ])
  }

  @Test("rejected pairs are stored sorted and once")
  func normalisedPairs() {
    #expect(
      IdentitiesMetadata.normalisedPairs([
        ["track-00002", "track-00001"], ["track-00001", "track-00002"],
        ["track-00003", "track-00003"],
        ["track-00001"],
      ]) == [["track-00001", "track-00002"]])
    #expect(IdentitiesMetadata.normalisedPairs([]) == nil)
  }
}
