import Artifacts
import Testing

@testable import Identities

/// `IdentityPlan`: stable ids, carried labels and cluster ids, without clustering anything.
@Suite("Identity plan")
struct IdentityPlanTests {
  static let stats = EmbeddingStats(centroidNorm: 1, variance: 0, numTracks: 1, numFacesTotal: 1)

  static func previous(
    _ number: Int, _ tracks: [String], labels: [String: String] = [:], locked: Bool = false,
    cluster: Int? = nil
  ) -> Identity {
    Identity(
      identityID: ArtifactID.identity(number), clusterID: cluster, trackIDs: tracks,
      canonicalFacePath: "", embeddingStats: stats, labels: labels, locked: locked,
      createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
  }

  static func plan(_ previous: [Identity], faces: [String: Int] = [:]) -> IdentityPlan {
    IdentityPlan(
      previous: previous, timestamp: "2026-12-06T00:00:00Z", faces: { faces[$0] ?? 1 },
      stats: { _ in stats })
  }

  @Test("the same tracks keep their identity unchanged; new groups number after every previous")
  func stableIDs() {
    let old = [
      Self.previous(1, ["track-00001"]), Self.previous(4, ["track-00009"], locked: true),
    ]
    let outcome = Self.plan(old).identities(for: [["track-00002", "track-00003"], ["track-00001"]])
    #expect(outcome.identities.map(\.identityID) == ["identity-00005", "identity-00001"])
    #expect(outcome.identities[1] == old[0])
    #expect(outcome.identities[0].createdAt == "2026-12-06T00:00:00Z")
  }

  @Test("a group of several tracks is a cluster, numbered after the locked identities' clusters")
  func clusterIDs() {
    let old = [Self.previous(1, ["track-00009"], locked: true, cluster: 3)]
    let outcome = Self.plan(old).identities(for: [["track-00001"], ["track-00002", "track-00003"]])
    #expect(outcome.identities.map(\.clusterID) == [nil, 4])
  }

  @Test("labels follow the most faces; a human label outranks a suggestion")
  func labelsFollowFaces() {
    let human = Self.previous(1, ["track-00001", "track-00002"], labels: ["name": "Ann"])
    let suggested = Self.previous(
      2, ["track-00003"],
      labels: ["name": "Bob", PeopleMatcher.Key.source: "people", "person_id": "p-2"])
    let plan = Self.plan([human, suggested], faces: ["track-00001": 1, "track-00002": 5])
    // Ann's faces are mostly in the second group; both previous identities land there.
    let outcome = plan.identities(for: [["track-00001"], ["track-00002", "track-00003"]])
    #expect(outcome.identities[0].labels == [:])
    #expect(outcome.identities[1].labels["name"] == "Ann")
    #expect(outcome.labelsCarried == 1)
  }
}
