import Artifacts

/// Where the tracks seen only in probe faces go (docs/identities.md, "Coverage"): into an
/// identity they clearly match, into a new identity with other probe-only tracks they match, or
/// into `unidentified_tracks` with the reason. Clustering's identities are never seeded by
/// probes: the first placement compares a probe track with an identity's defining tracks; only
/// the second chance, for what is left, compares with every member.
struct ProbeAssigner {
  /// A probe track joins an identity at or above this similarity (average over its members):
  /// on the second chance always, on first placement when its faces are small or degraded
  /// (`firstPlacementBar`).
  var assignThreshold: Double
  /// Probe-only tracks form a new identity with each other at or above this similarity: the
  /// defining `cluster_thresh`, since two degraded views earn no relaxation (docs/identities.md);
  /// a leftover joins an identity, probe-built or not, at `assignThreshold`.
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
  /// How the first placement's bar rises with the size of a track's recognisable faces.
  var clearFace = ClearFace(minFacePx: 20, clearFacePx: 0)

  /// The first placement's bar by face size (docs/identities.md, "Faces seen clearly"): the
  /// relaxed `assignThreshold` for a track whose recognisable faces are `minFacePx` wide, rising
  /// linearly to `groupThreshold` at `clearFacePx` (0: no rise).
  struct ClearFace: Equatable {
    /// The recognisable size (`probe_min_face_px`): from here on the bar rises.
    var minFacePx: Double
    /// The size at which the bar reaches `groupThreshold` (`probe_clear_face_px`); 0: no rise.
    var clearFacePx: Double

    /// How far (0...1) from the relaxed bar to the defining one a face this size is held.
    func share(_ size: Double?) -> Double {
      guard clearFacePx > 0, let size else { return 0 }
      guard clearFacePx > minFacePx else { return 1 }
      return min(1, max(0, (size - minFacePx) / (clearFacePx - minFacePx)))
    }
  }

  /// The bar a probe track seen as `view` must reach on its first placement: the rise by the
  /// size of its recognisable faces, scaled by their share of its probe faces (a track seen
  /// clearly once and degraded otherwise is mostly a degraded view).
  func firstPlacementBar(_ view: View) -> Double {
    let seenClearly = clearFace.share(view.recognisableSize) * view.recognisableShare
    return assignThreshold + max(0, groupThreshold - assignThreshold) * seenClearly
  }

  /// When a lone probe-only track is a person of its own.
  struct Solo: Equatable {
    var minConfidence: Double
    var minSeconds: Double
    var maxSimilarity: Double
    /// Fewest recognisable probe faces, and their least mean similarity to each other: a face
    /// seen clearly enough, and consistently, to be somebody (docs/identities.md).
    var minRecognisableFaces = 3
    var minAgreement = 0.5
  }

  /// How well a probe-only track can be recognised, from its probe faces (docs/identities.md,
  /// "Degraded-only tracks").
  struct View: Equatable {
    /// Probe faces that are none of: too small, turned too far, cut by the frame edge, blurred.
    var recognisableFaces: Int
    /// Whether every probe face is under the recognisable size.
    var allTooSmall: Bool
    /// Mean pairwise similarity of the recognisable faces (1 for one face, nil for none).
    var agreement: Double?
    /// Median short side (frame px) of the recognisable faces; nil for none.
    var recognisableSize: Double? = nil
    /// How many probe faces the track has (nil: as many as are recognisable).
    var probeFaces: Int? = nil

    /// The share of the track's probe faces that are recognisable (0...1).
    var recognisableShare: Double {
      guard let probeFaces, probeFaces > 0 else { return 1 }
      return min(1, Double(recognisableFaces) / Double(probeFaces))
    }

    /// A track with no recognisable face may join an identity, never create one.
    var degradedOnly: Bool { recognisableFaces == 0 }

    /// Why such a track stays out when it joins nothing.
    var reason: UnidentifiedTrack.Reason { allTooSmall ? .tooSmall : .degraded }

    /// A track with nothing known about its faces (older `probe_faces.jsonl`) counts as
    /// recognisable, as before.
    static let unknown = View(recognisableFaces: Int.max, allTooSmall: false, agreement: 1)
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
    /// How recognisable each probe-only track is; missing: `View.unknown`.
    var views: [String: View] = [:]

    func view(_ track: String) -> View { views[track] ?? .unknown }

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
  /// whose clear match is one of them is `ambiguous`. In order (docs/identities.md, "Coverage"):
  /// not-a-face tracks out; clear matches join; the rest group with each other into new
  /// identities (never of degraded-only tracks alone); what is left gets a second chance against
  /// every identity, the new ones included; then the solo rule; then a reason.
  ///
  /// `Unassigned.bestGroup` indexes `groups` followed by `newGroups`.
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
    let closed = closedFrom ?? groups.count
    // First placement against the defining tracks, at a bar that rises with the face size: a
    // clearly seen face gets little of the relaxation a degraded view needs, so a stranger who
    // vaguely resembles an identity is left to form a person with their own other tracks.
    let matches = join(
      faces, groups: groups, members: groups, isClosed: { $0 >= closed },
      bar: { firstPlacementBar(evidence.view($0)) }, evidence: evidence)
    outcome.joined = matches.joined
    outcome.unidentified += matches.ambiguous
    let grouped = groupLoose(matches.loose.map(\.trackID), evidence: evidence)
    outcome.newGroups = grouped.groups
    secondChance(grouped.left, groups: groups, closed: closed, evidence: evidence, into: &outcome)
    return outcome
  }

  /// Tracks that joined nothing and grouped with nothing, compared again with every identity:
  /// `groups` grown by the first joins (closed from `closed`), then the new groups. A clear match
  /// joins; a lone, confident, recognisable track unlike all of them is a person of its own; the
  /// rest stay out with their reason.
  private func secondChance(
    _ left: [String], groups: [[String]], closed: Int, evidence: Evidence,
    into outcome: inout Outcome
  ) {
    // Now an identity is all of its tracks, the probe tracks that joined it included: a small
    // face resembles the person's other small faces more than their close-ups (on the walk-in
    // episode 0.37–0.46 against 0.29–0.30), and cannot-link counts every member.
    var members = groups
    for (group, tracks) in outcome.joined { members[group] += tracks }
    members += outcome.newGroups
    let isClosed = { (group: Int) in group >= closed && group < groups.count }
    let matches = join(
      left, groups: members, members: members, isClosed: isClosed, bar: { _ in assignThreshold },
      evidence: evidence)
    for (group, tracks) in matches.joined {
      if group < groups.count {
        outcome.joined[group, default: []] += tracks
      } else {
        outcome.newGroups[group - groups.count] += tracks
      }
    }
    outcome.unidentified += matches.ambiguous
    for entry in matches.loose {
      let view = evidence.view(entry.trackID)
      if isSolo(entry, view: view, evidence: evidence) {
        outcome.newGroups.append([entry.trackID])
      } else {
        var entry = entry
        if view.degradedOnly { entry.reason = view.reason }
        outcome.unidentified.append(entry)
      }
    }
  }

  /// A lone track is a person of its own when it is confident, lasts, shows a recognisable face
  /// consistently, and resembles no identity even slightly.
  private func isSolo(_ entry: Unassigned, view: View, evidence: Evidence) -> Bool {
    (evidence.confidence[entry.trackID] ?? 0) >= solo.minConfidence
      && (evidence.seconds[entry.trackID] ?? 0) >= solo.minSeconds
      && (entry.bestSimilarity ?? -1) < solo.maxSimilarity
      && view.recognisableFaces >= solo.minRecognisableFaces
      && (view.agreement ?? -1) >= solo.minAgreement
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
    return join(
      tracks, groups: groups, members: groups, isClosed: { $0 >= closed },
      bar: { _ in assignThreshold }, evidence: evidence)
  }

  /// `join` against `groups` (what each identity looks like), with `members` (the tracks each
  /// already holds, for cannot-link), the closed groups given by `isClosed` and each track's
  /// threshold given by `bar`.
  func join(
    _ tracks: [String], groups: [[String]], members initialMembers: [[String]],
    isClosed: (Int) -> Bool, bar: (String) -> Double, evidence: Evidence
  ) -> Matches {
    // Best match first, so the clearest tracks claim their identity before a track that shares
    // a frame with them is considered; ties go to the track id.
    let scores = Dictionary(
      uniqueKeysWithValues: tracks.map { track in
        (track, groups.map { group in Self.mean(group.map { evidence.similarity(track, $0) }) })
      })
    let order = tracks.sorted {
      ((scores[$0]?.max() ?? -1), $1) > ((scores[$1]?.max() ?? -1), $0)
    }
    var members = initialMembers
    var matches = Matches()
    for track in order {
      let similarities = scores[track] ?? []
      let allowed = similarities.indices.filter { group in
        !members[group].contains { evidence.linked(track, $0) }
      }
      let ranked = allowed.sorted { (similarities[$0], -$0) > (similarities[$1], -$1) }
      let overall = similarities.indices.max { (similarities[$0], -$0) < (similarities[$1], -$1) }
      let threshold = bar(track)
      let best = ranked.first.flatMap { similarities[$0] >= threshold ? $0 : nil }
      if let best, !isClosed(best),
        similarities[best] - (ranked.count > 1 ? similarities[ranked[1]] : -1) >= margin
      {
        members[best].append(track)
        matches.joined[best, default: []].append(track)
      } else if let near = best ?? overall, similarities[near] >= threshold {
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

  /// Probe-only tracks that match no identity, clustered with each other (the same exact
  /// clustering, at `groupThreshold`): groups of two or more with at least one recognisable
  /// track become new identities; the rest are `left` for the second chance.
  private func groupLoose(_ loose: [String], evidence: Evidence) -> (
    groups: [[String]], left: [String]
  ) {
    let tracks = loose.sorted()
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
    var byLabel: [Int: [String]] = [:]
    for (index, label) in labels.enumerated() { byLabel[label, default: []].append(tracks[index]) }
    var groups: [[String]] = []
    var left: [String] = []
    for label in byLabel.keys.sorted() {
      let group = byLabel[label] ?? []
      if group.count > 1 && group.contains(where: { !evidence.view($0).degradedOnly }) {
        groups.append(group)
      } else {
        left += group
      }
    }
    // Loose order: the order `join` saw them in.
    let order = Dictionary(uniqueKeysWithValues: loose.enumerated().map { ($1, $0) })
    return (groups, left.sorted { order[$0] ?? 0 < order[$1] ?? 0 })
  }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
  }
}
