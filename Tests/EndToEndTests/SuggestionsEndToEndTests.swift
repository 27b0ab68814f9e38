import Foundation
import Testing

/// Review by suggestion with the built binary (docs/identities.md, "Review by suggestion"):
/// `identities suggest`, `identities reject`, and a rejection that re-clustering keeps.
@Suite("episode-run identities suggest / reject, end to end", .serialized)
struct SuggestionsEndToEndTests {
  @Test(
    "a split track is suggested back to its identity; rejected, it stays apart on re-clustering")
  func rejectionSurvivesReclustering() throws {
    let prepared = try IdentitiesEndToEndTests.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    // A person of several tracks: split one off, as a reviewer who doubts it would.
    let identity = try #require(
      try prepared.identities().first { ($0["track_ids"] as? [String] ?? []).count >= 2 })
    let identityID = try #require(identity["identity_id"] as? String)
    let tracks = try #require(identity["track_ids"] as? [String])
    let moved = tracks[0]
    let split = try prepared.edit(["split", moved])
    try #require(split.status == 0, "\(split.combined)")
    let splitID = split.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)

    // The split-off identity (one track) is a subject whose first candidate is where it was.
    let suggested = try suggestions(prepared)
    let subject = try #require(
      (suggested["subjects"] as? [[String: Any]])?.first { $0["id"] as? String == splitID })
    let first = (subject["candidates"] as? [[String: Any]])?.first
    #expect(first?["identity_id"] as? String == identityID)
    #expect(try prepared.edit(["suggest"]).standardOutput.contains("\(splitID) ("))

    // Rejected: never suggested again, and re-clustering keeps the tracks apart.
    let rejected = try prepared.edit(["reject", splitID, "--not", identityID])
    try #require(rejected.status == 0, "\(rejected.combined)")
    let after = try suggestions(prepared)
    let again = (after["subjects"] as? [[String: Any]])?.first { $0["id"] as? String == splitID }
    #expect(
      (again?["candidates"] as? [[String: Any]] ?? []).allSatisfy {
        $0["identity_id"] as? String != identityID
      })
    #expect(
      (again?["excluded"] as? [[String: Any]] ?? []).contains {
        $0["identity_id"] as? String == identityID && $0["reason"] as? String == "rejected"
      })
    let recluster = try prepared.cluster()
    try #require(recluster.status == 0, "\(recluster.combined)")
    let owners = try prepared.identities().reduce(into: [String: String]()) { owners, identity in
      for track in identity["track_ids"] as? [String] ?? [] {
        owners[track] = identity["identity_id"] as? String
      }
    }
    #expect(owners[moved] != nil && owners[moved] != owners[tracks[1]])
    let document =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: prepared.identitiesURL)) as? [String: Any]
    let pairs = (document?["metadata"] as? [String: Any])?["rejected_pairs"] as? [[String]] ?? []
    #expect(pairs.contains([moved, tracks[1]].sorted()))
    let validate = try prepared.run(["validate", "--ep-id", IdentitiesEndToEndTests.episode])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  func suggestions(_ prepared: IdentitiesEndToEndTests.Prepared) throws -> [String: Any] {
    let outcome = try prepared.edit(["suggest", "--json"])
    try #require(outcome.status == 0, "\(outcome.combined)")
    return try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
  }
}
