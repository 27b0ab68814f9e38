import Artifacts

/// Where the tracks seen only in probe faces go (docs/identities.md, "Coverage"): into an
/// identity they clearly match, into a new identity with other probe-only tracks they match, or
/// into `unidentified_tracks` with the reason. Identities are never seeded or reshaped by probes:
/// a probe track is compared with the identity's defining tracks only.
struct ProbeAssigner {
  /// A probe track joins an identity at or above this similarity (average over its members).
  var assignThreshold: Double
  /// ... and only when the runner-up identity is at least this much less similar.
  var margin: Double
  /// Linkage for grouping probe-only tracks with each other.
  var linkage: Linkage
  /// A probe-only track whose mean detector confidence is below this is not a face.
  var minTrackConfidence: Double

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

  /// Assigns `probes` (track ids in a fixed order) against `groups` (defining track ids).
  func assign(probes: [String], groups: [[String]], evidence: Evidence) -> Outcome {
    var outcome = Outcome()
    var faces: [String] = []
    for track in probes {
      if (evidence.confidence[track] ?? 0) < minTrackConfidence {
        outcome.unidentified.append(Unassigned(trackID: track, reason: .notAFace))
      } else {
        faces.append(track)
      }
    }
    // Best match first, so the clearest tracks claim their identity before a track that shares
    // a frame with them is considered; ties go to the track id.
    let scores = Dictionary(
      uniqueKeysWithValues: faces.map { track in
        (track, groups.map { group in Self.mean(group.map { evidence.similarity(track, $0) }) })
      })
    let order = faces.sorted {
      ((scores[$0]?.max() ?? -1), $1) > ((scores[$1]?.max() ?? -1), $0)
    }
    var members = groups
    var loose: [String] = []
    var looseBest: [String: (group: Int, similarity: Double)] = [:]
    for track in order {
      let similarities = scores[track] ?? []
      let allowed = similarities.indices.filter { group in
        !members[group].contains { evidence.linked(track, $0) }
      }
      let ranked = allowed.sorted { (similarities[$0], -$0) > (similarities[$1], -$1) }
      let overall = similarities.indices.max { (similarities[$0], -$0) < (similarities[$1], -$1) }
      if let best = ranked.first, similarities[best] >= assignThreshold {
        let runnerUp = ranked.count > 1 ? similarities[ranked[1]] : -1
        if similarities[best] - runnerUp >= margin {
          members[best].append(track)
          outcome.joined[best, default: []].append(track)
        } else {
          outcome.unidentified.append(
            Unassigned(
              trackID: track, reason: .ambiguous, bestGroup: best,
              bestSimilarity: similarities[best]))
        }
      } else if let overall, similarities[overall] >= assignThreshold {
        // Its best match shares a frame with it, and nothing else is close enough.
        outcome.unidentified.append(
          Unassigned(
            trackID: track, reason: .ambiguous, bestGroup: overall,
            bestSimilarity: similarities[overall]))
      } else {
        loose.append(track)
        if let overall { looseBest[track] = (overall, similarities[overall]) }
      }
    }
    groupLoose(loose.sorted(), best: looseBest, evidence: evidence, into: &outcome)
    return outcome
  }

  /// Probe-only tracks that match no identity: those that match each other (the same exact
  /// clustering, at `assignThreshold`) form new identities; the rest are `unmatched`.
  private func groupLoose(
    _ loose: [String], best: [String: (group: Int, similarity: Double)], evidence: Evidence,
    into outcome: inout Outcome
  ) {
    let position = Dictionary(uniqueKeysWithValues: loose.enumerated().map { ($1, $0) })
    var cannotLink: [(Int, Int)] = []
    var bonus: [PairBonus] = []
    for i in loose.indices {
      for j in (i + 1)..<loose.count {
        if evidence.linked(loose[i], loose[j]) { cannotLink.append((i, j)) }
        let extra = evidence.bonus(loose[i], loose[j])
        if extra != 0 { bonus.append(PairBonus(first: i, second: j, similarity: extra)) }
      }
    }
    let labels = AgglomerativeClustering.cluster(
      loose.map { evidence.vectors[$0] ?? [] }, linkage: linkage,
      maximumDistance: 1 - assignThreshold, cannotLink: cannotLink, bonus: bonus)
    var groups: [Int: [String]] = [:]
    for (index, label) in labels.enumerated() { groups[label, default: []].append(loose[index]) }
    for label in groups.keys.sorted() {
      let group = groups[label] ?? []
      if group.count > 1 {
        outcome.newGroups.append(group)
      } else if let track = group.first, position[track] != nil {
        outcome.unidentified.append(
          Unassigned(
            trackID: track, reason: .unmatched, bestGroup: best[track]?.group,
            bestSimilarity: best[track]?.similarity))
      }
    }
  }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
  }
}
