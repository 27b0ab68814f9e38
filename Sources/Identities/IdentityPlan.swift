import Artifacts

/// How one clustering's groups of tracks become identities (docs/identities.md, "Stable ids and
/// labels"): a group with exactly a previous identity's tracks keeps that identity (its id,
/// creation time, and the identity itself when nothing about it changed); every other group gets
/// the next free id; labels follow the faces (each previous identity's labels go to the group
/// holding most of its faces, a human label before a suggestion); a group of more than one track
/// is a cluster. Pure: tested on its own (`IdentityPlanTests`).
struct IdentityPlan {
  /// The previous run's identities; the locked ones are kept as they are by the caller.
  var previous: [Identity]
  /// When this run happens (`created_at`/`updated_at` of what changes).
  var timestamp: String
  /// Defining faces of a track (to weigh label overlaps).
  var faces: (String) -> Int
  /// The statistics of a group's tracks.
  var stats: ([String]) -> EmbeddingStats

  /// The identities of `groups` (in order), their number, and how many carried labels.
  struct Outcome {
    var identities: [Identity]
    var labelsCarried: Int
  }

  /// Identities for `groups`, numbered after every previous identity, cluster ids after the
  /// locked ones'.
  func identities(for groups: [[String]]) -> Outcome {
    let unlocked = previous.filter { !$0.locked }
    var nextNumber =
      (previous.compactMap { ArtifactID.number(in: $0.identityID, prefix: "identity") }.max()
        ?? 0) + 1
    var nextClusterID = (previous.filter(\.locked).compactMap(\.clusterID).max() ?? 0) + 1
    let sources = labelSources(groups, from: unlocked)
    var outcome = Outcome(identities: [], labelsCarried: 0)
    for (position, group) in groups.enumerated() {
      let members = group.sorted()
      let same = unlocked.first { Set($0.trackIDs) == Set(members) }
      let identityID = same?.identityID ?? ArtifactID.identity(nextNumber)
      if same == nil { nextNumber += 1 }
      var carried = sources[position]?.labels ?? [:]
      if carried.isEmpty, let same { carried = same.labels }
      if !carried.isEmpty { outcome.labelsCarried += 1 }
      var clusterID: Int?
      if group.count > 1 {
        clusterID = nextClusterID
        nextClusterID += 1
      }
      outcome.identities.append(
        identity(identityID, members: members, clusterID: clusterID, labels: carried, same: same))
    }
    return outcome
  }

  /// The identity of `members`, or `same` (with the new cluster id) when nothing else changed.
  private func identity(
    _ identityID: String, members: [String], clusterID: Int?, labels: [String: String],
    same: Identity?
  ) -> Identity {
    let identity = Identity(
      identityID: identityID, clusterID: clusterID, trackIDs: members,
      canonicalFacePath: DataLayout.identityThumbRelativePath(identityID: identityID),
      embeddingStats: stats(members), labels: labels, locked: false,
      createdAt: same?.createdAt ?? timestamp, updatedAt: timestamp)
    guard var same,
      same.clusterID == clusterID || (same.clusterID != nil) == (clusterID != nil),
      same.labels == labels, same.embeddingStats == identity.embeddingStats
    else { return identity }
    same.clusterID = clusterID
    return same
  }

  /// Which group gets each labelled previous identity's labels: the one holding most of its
  /// faces; a human label outranks a people-registry suggestion (docs/people.md), then faces.
  func labelSources(_ groups: [[String]], from unlocked: [Identity]) -> [Int: Identity] {
    var sources: [Int: Identity] = [:]
    for old in unlocked where !old.labels.isEmpty {
      let overlap = groups.map { group in count(group.filter(Set(old.trackIDs).contains)) }
      guard let best = overlap.indices.max(by: { (overlap[$0], -$0) < (overlap[$1], -$1) }),
        overlap[best] > 0
      else { continue }
      if let current = sources[best],
        (
          PeopleMatcher.isHumanLabel(current.labels) ? 1 : 0,
          count(current.trackIDs.filter(Set(groups[best]).contains))
        ) >= (PeopleMatcher.isHumanLabel(old.labels) ? 1 : 0, overlap[best])
      {
        continue
      }
      sources[best] = old
    }
    return sources
  }

  private func count(_ tracks: [String]) -> Int { tracks.reduce(0) { $0 + faces($1) } }
}
