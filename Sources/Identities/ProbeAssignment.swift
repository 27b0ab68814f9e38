import Artifacts

/// Where the tracks seen only in probe faces go (docs/identities.md, "Coverage"): into an
/// identity they clearly match, into a new identity with other probe-only tracks they match, or
/// into `unidentified_tracks` with the reason. Identities are never seeded or reshaped by probes:
/// a probe track is compared with the identity's defining tracks only.
struct ProbeAssigner {
  /// A probe track joins an identity at or above this similarity (average over its members).
  var assignThreshold: Double
  /// Probe-only tracks group with each other at or above this similarity: the defining
  /// `cluster_thresh`, since two degraded views earn no relaxation (docs/identities.md).
  var groupThreshold: Double
  /// ... and only when the runner-up identity is at least this much less similar.
  var margin: Double
  /// Linkage for grouping probe-only tracks with each other.
  var linkage: Linkage
  /// A probe-only track whose mean detector confidence is below this is not a face.
  var minTrackConfidence: Double
  /// A lone probe-only track that matches nothing becomes its own identity when it is this
  /// confident, this long, and resembles no identity even this much (docs/identities.md).
  var solo = Solo(minConfidence: 0.8, minSeconds: 1, maxSimilarity: 0.15)

  /// When a lone probe-only track is a person of its own.
  struct Solo: Equatable {
    var minConfidence: Double
    var minSeconds: Double
    var maxSimilarity: Double
  }

  /// What became of the probe tracks.
  struct Outcome: Equatable {
    /// Probe tracks that joined group i (the index into the `groups` given).
    var joined: [Int: [String]] = [:]
    /// New groups made of probe-only tracks that match each other.
    var newGroups: [[String]] = []
    /// The rest, with their reasons.
    var unidentified: [Unassigned] = []
  }

  /// A probe track left out, and the group it resembled most.
  struct Unassigned: Equatable {
    var trackID: String
    var reason: UnidentifiedTrack.Reason
    var bestGroup: Int?
    var bestSimilarity: Double?
  }

  /// The pair evidence the assignment reads.
  struct Evidence {
    /// Unit vector of each track (defining and probe).
    var vectors: [String: [Float]]
    /// Pairs of tracks that share a frame (each pair sorted).
    var cannotLink: Set<[String]>
    /// Mean detector confidence of each track (`tracks.jsonl` `stats.avg_conf`).
    var confidence: [String: Double]
    /// Length of each track in seconds (`end_s` − `start_s`).
    var seconds: [String: Double] = [:]
    /// Similarity added for a pair (the shot-thread prior); 0 when none.
    var bonus: (String, String) -> Double = { _, _ in 0 }

    func similarity(_ a: String, _ b: String) -> Double {
      guard let x = vectors[a], let y = vectors[b] else { return -1 }
      var dot: Float = 0
      for k in 0..<min(x.count, y.count) { dot += x[k] * y[k] }
      return min(1, Double(dot) + bonus(a, b))
    }

    func linked(_ a: String, _ b: String) -> Bool {
      cannotLink.contains(a < b ? [a, b] : [b, a])
    }
  }

  /// Assigns `probes` (track ids in a fixed order) against `groups` (defining track ids). Groups
  /// from index `closedFrom` on (locked identities) are compared with but never joined: a track
  /// whose clear match is one of them is `ambiguous`.
  func assign(
    probes: [String], groups: [[String]], closedFrom: Int? = nil, evidence: Evidence
  ) -> Outcome {
    var outcome = Outcome()
    var faces: [String] = []
    for track in probes {
      if (evidence.confidence[track] ?? 0) < minTrackConfidence {
        outcome.unidentified.append(Unassigned(trackID: track, reason: .notAFace))
      } else {
        faces.append(track)
      }
    }
    let matches = join(faces, groups: groups, closedFrom: closedFrom, evidence: evidence)
    outcome.joined = matches.joined
    outcome.unidentified += matches.ambiguous
    groupLoose(matches.loose, evidence: evidence, into: &outcome)
    return outcome
  }

  /// What `join` decided: tracks that joined group i, tracks too close to two groups (or to a
  /// group they share a frame with), and the rest with the group each resembled most.
  struct Matches: Equatable {
    var joined: [Int: [String]] = [:]
    var ambiguous: [Unassigned] = []
    var loose: [Unassigned] = []
  }

  /// Each of `tracks` joins the group it matches clearly (≥ `assignThreshold`, `margin` ahead of
  /// the runner-up, no cannot-link with any member, including tracks that joined before it).
  func join(
    _ tracks: [String], groups: [[String]], closedFrom: Int? = nil, evidence: Evidence
  ) -> Matches {
    let closed = closedFrom ?? groups.count
    // Best match first, so the clearest tracks claim their identity before a track that shares
    // a frame with them is considered; ties go to the track id.
    let scores = Dictionary(
      uniqueKeysWithValues: tracks.map { track in
        (track, groups.map { group in Self.mean(group.map { evidence.similarity(track, $0) }) })
      })
    let order = tracks.sorted {
      ((scores[$0]?.max() ?? -1), $1) > ((scores[$1]?.max() ?? -1), $0)
    }
    var members = groups
    var matches = Matches()
    for track in order {
      let similarities = scores[track] ?? []
      let allowed = similarities.indices.filter { group in
        !members[group].contains { evidence.linked(track, $0) }
      }
      let ranked = allowed.sorted { (similarities[$0], -$0) > (similarities[$1], -$1) }
      let overall = similarities.indices.max { (similarities[$0], -$0) < (similarities[$1], -$1) }
      let best = ranked.first.flatMap { similarities[$0] >= assignThreshold ? $0 : nil }
      if let best, best < closed,
        similarities[best] - (ranked.count > 1 ? similarities[ranked[1]] : -1) >= margin
      {
        members[best].append(track)
        matches.joined[best, default: []].append(track)
      } else if let near = best ?? overall, similarities[near] >= assignThreshold {
        // Too close to two identities, its match shares a frame with it, or its match is locked.
        matches.ambiguous.append(
          Unassigned(
            trackID: track, reason: .ambiguous, bestGroup: near, bestSimilarity: similarities[near])
        )
      } else {
        matches.loose.append(
          Unassigned(
            trackID: track, reason: .unmatched, bestGroup: overall,
            bestSimilarity: overall.map { similarities[$0] }))
      }
    }
    return matches
  }

  /// Probe-only tracks that match no identity: those that match each other (the same exact
  /// clustering, at `groupThreshold`) form new identities; a lone one that is confident, long
  /// and unlike every identity is a person of its own; the rest are `unmatched`.
  private func groupLoose(_ loose: [Unassigned], evidence: Evidence, into outcome: inout Outcome) {
    let tracks = loose.map(\.trackID).sorted()
    var cannotLink: [(Int, Int)] = []
    var bonus: [PairBonus] = []
    for i in tracks.indices {
      for j in (i + 1)..<tracks.count {
        if evidence.linked(tracks[i], tracks[j]) { cannotLink.append((i, j)) }
        let extra = evidence.bonus(tracks[i], tracks[j])
        if extra != 0 { bonus.append(PairBonus(first: i, second: j, similarity: extra)) }
      }
    }
    let labels = AgglomerativeClustering.cluster(
      tracks.map { evidence.vectors[$0] ?? [] }, linkage: linkage,
      maximumDistance: 1 - groupThreshold, cannotLink: cannotLink, bonus: bonus)
    var groups: [Int: [String]] = [:]
    for (index, label) in labels.enumerated() { groups[label, default: []].append(tracks[index]) }
    let unplaced = Dictionary(uniqueKeysWithValues: loose.map { ($0.trackID, $0) })
    for label in groups.keys.sorted() {
      let group = groups[label] ?? []
      if group.count > 1 {
        outcome.newGroups.append(group)
      } else if let track = group.first, let entry = unplaced[track] {
        if (evidence.confidence[track] ?? 0) >= solo.minConfidence
          && (evidence.seconds[track] ?? 0) >= solo.minSeconds
          && (entry.bestSimilarity ?? -1) < solo.maxSimilarity
        {
          outcome.newGroups.append([track])
        } else {
          outcome.unidentified.append(entry)
        }
      }
    }
  }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
  }
}
