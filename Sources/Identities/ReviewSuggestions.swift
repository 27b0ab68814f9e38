public import Artifacts
import Foundation

/// Review by suggestion (docs/identities.md, "Review by suggestion"): for each unidentified
/// track and each unlocked identity of one or two tracks, the identities it most resembles; and
/// the pairs of identities that are probably one person. A person accepts a suggestion (the
/// track moves, the identities merge) or rejects it (`IdentityEditor.reject`: the pair is never
/// suggested again, and clustering keeps it apart). Pure: computed from the identities, the
/// pooled track vectors and the pairs of tracks that cannot be one person.
public struct ReviewSuggestions: Codable, Hashable, Sendable {
  /// An identity offered for a subject.
  public struct Candidate: Codable, Hashable, Sendable {
    /// `identity_id`.
    public var identityID: String
    /// `similarity`: mean cosine similarity between the subject's tracks and the identity's
    /// (average linkage, the measure `cluster_thresh` is calibrated for).
    public var similarity: Double
    /// `why`: in words, what was compared.
    public var why: String

    enum CodingKeys: String, CodingKey {
      case identityID = "identity_id"
      case similarity, why
    }
  }

  /// An identity left out although it is close, and why.
  public struct Excluded: Codable, Hashable, Sendable {
    /// `identity_id`.
    public var identityID: String
    /// `similarity`.
    public var similarity: Double
    /// `reason`: `shares a frame` (two faces at once are two people), `rejected`, or `locked`
    /// (nothing joins a locked identity until it is unlocked).
    public var reason: String

    enum CodingKeys: String, CodingKey {
      case identityID = "identity_id"
      case similarity, reason
    }
  }

  /// A track or a small identity that may belong elsewhere.
  public struct Subject: Codable, Hashable, Sendable {
    /// `kind`: `track` (unidentified) or `identity` (one or two tracks).
    public var kind: String
    /// `id`: the track or identity id.
    public var id: String
    /// `track_ids`: its tracks.
    public var trackIDs: [String]
    /// `reason`: an unidentified track's reason; empty for an identity.
    public var reason: String
    /// `candidates`: up to `perSubject`, most similar first.
    public var candidates: [Candidate]
    /// `excluded`: identities more similar than the last candidate that cannot be it.
    public var excluded: [Excluded]

    enum CodingKeys: String, CodingKey {
      case kind, id
      case trackIDs = "track_ids"
      case reason, candidates, excluded
    }
  }

  /// Two identities that are probably one person: never in one frame, most similar first.
  public struct Pair: Codable, Hashable, Sendable {
    /// `identity_ids`: the two, the one with more tracks first (the one a merge keeps).
    public var identityIDs: [String]
    /// `similarity`.
    public var similarity: Double

    enum CodingKeys: String, CodingKey {
      case identityIDs = "identity_ids"
      case similarity
    }
  }

  /// `subjects`: those with a candidate first, best candidate first.
  public var subjects: [Subject]
  /// `pairs`.
  public var pairs: [Pair]

  /// What the suggestions are computed from.
  public struct Evidence: Sendable {
    /// Pooled unit vector of each track that has one.
    public var vectors: [String: [Float]]
    /// Tracks whose vector pools probe faces only.
    public var probeTracks: Set<String>
    /// Sorted pairs of tracks that share a frame.
    public var sharedFrames: Set<[String]>

    /// Evidence.
    public init(vectors: [String: [Float]], probeTracks: Set<String>, sharedFrames: Set<[String]>) {
      self.vectors = vectors
      self.probeTracks = probeTracks
      self.sharedFrames = sharedFrames
    }
  }

  /// The suggestions for `document` from `evidence`: `perSubject` candidates per subject, the
  /// `maxPairs` most similar pairs at or above half the document's `cluster_thresh` (a pair
  /// below that is no "probably").
  public static func compute(
    _ document: IdentitiesDocument, evidence: Evidence, perSubject: Int = 3, maxPairs: Int = 10
  ) -> ReviewSuggestions {
    let rejected = Set((document.metadata.rejectedPairs ?? []).map { $0.sorted() })
    let comparer = Comparer(evidence: evidence, rejected: rejected)
    var subjects: [Subject] = []
    for track in document.metadata.unidentifiedTracks ?? [] {
      subjects.append(
        comparer.subject(
          kind: "track", id: track.trackID, tracks: [track.trackID], reason: track.reason,
          among: document.identities, count: perSubject))
    }
    let floor = document.metadata.clusterThresh / 2
    for identity in document.identities where !identity.locked && identity.trackIDs.count <= 2 {
      // A fragment is offered only where it probably belongs (a person seen once is no
      // fragment): candidates at least half of `cluster_thresh` alike.
      var subject = comparer.subject(
        kind: "identity", id: identity.identityID, tracks: identity.trackIDs, reason: "",
        among: document.identities.filter { $0.identityID != identity.identityID },
        count: perSubject)
      subject.candidates.removeAll { $0.similarity < floor }
      subject.excluded.removeAll { $0.similarity < floor }
      if !subject.candidates.isEmpty { subjects.append(subject) }
    }
    subjects.sort { a, b in
      let left = a.candidates.first?.similarity ?? -2
      let right = b.candidates.first?.similarity ?? -2
      return (-left, a.kind, a.id) < (-right, b.kind, b.id)
    }
    return ReviewSuggestions(
      subjects: subjects,
      pairs: comparer.pairs(
        document.identities, count: maxPairs, floor: document.metadata.clusterThresh / 2))
  }

  /// The comparisons behind the suggestions.
  struct Comparer {
    let evidence: Evidence
    let rejected: Set<[String]>

    /// Mean similarity between the tracks of `a` and of `b` that have vectors; nil for none.
    func similarity(_ a: [String], _ b: [String]) -> Double? {
      var total = 0.0
      var count = 0
      for left in a {
        guard let u = evidence.vectors[left] else { continue }
        for right in b {
          guard let v = evidence.vectors[right] else { continue }
          total += Double(dot(u, v))
          count += 1
        }
      }
      return count > 0 ? total / Double(count) : nil
    }

    /// Why `a` and `b` cannot be one person; nil when they can.
    func conflict(_ a: [String], _ b: [String]) -> String? {
      var reason: String?
      for left in a {
        for right in b {
          let pair = [left, right].sorted()
          if evidence.sharedFrames.contains(pair) { return "shares a frame" }
          if rejected.contains(pair) { reason = "rejected" }
        }
      }
      return reason
    }

    func subject(
      kind: String, id: String, tracks: [String], reason: String, among identities: [Identity],
      count: Int
    ) -> Subject {
      let scored = identities.compactMap { identity -> (Identity, Double)? in
        similarity(tracks, identity.trackIDs).map { (identity, $0) }
      }.sorted { ($1.1, $0.0.identityID) < ($0.1, $1.0.identityID) }
      var candidates: [Candidate] = []
      var excluded: [Excluded] = []
      let probe = tracks.allSatisfy { evidence.probeTracks.contains($0) }
      for (identity, value) in scored where candidates.count < count {
        // Accepting moves or merges into the candidate, which a lock refuses.
        if let why = identity.locked ? "locked" : conflict(tracks, identity.trackIDs) {
          excluded.append(
            Excluded(identityID: identity.identityID, similarity: rounded(value), reason: why))
          continue
        }
        let compared = identity.trackIDs.filter { evidence.vectors[$0] != nil }.count
        candidates.append(
          Candidate(
            identityID: identity.identityID, similarity: rounded(value),
            why: "\(probe ? "probe faces" : "faces") against \(compared) track"
              + (compared == 1 ? "" : "s") + " of it"))
      }
      return Subject(
        kind: kind, id: id, trackIDs: tracks, reason: reason, candidates: candidates,
        excluded: excluded)
    }

    func pairs(_ identities: [Identity], count: Int, floor: Double) -> [Pair] {
      let open = identities.filter { !$0.locked }
      var pairs: [Pair] = []
      for (i, a) in open.enumerated() {
        for b in open[(i + 1)...] where conflict(a.trackIDs, b.trackIDs) == nil {
          guard let value = similarity(a.trackIDs, b.trackIDs), value >= floor else { continue }
          let first = (a.trackIDs.count, b.identityID) >= (b.trackIDs.count, a.identityID)
          pairs.append(
            Pair(
              identityIDs: first ? [a.identityID, b.identityID] : [b.identityID, a.identityID],
              similarity: rounded(value)))
        }
      }
      pairs.sort {
        ($1.similarity, $0.identityIDs.joined(separator: " "))
          < ($0.similarity, $1.identityIDs.joined(separator: " "))
      }
      return Array(pairs.prefix(count))
    }

    func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
  }
}

extension ReviewSuggestions {
  /// The suggestions of `episode` as committed: its `identities.json`, pooled track vectors and
  /// the tracks that share a frame (the same rule as clustering).
  public static func load(layout: DataLayout, episode: EpisodeID) throws -> ReviewSuggestions {
    let url = layout.identities(episode)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw IdentitiesError.missingInput(
        path: layout.relativePath(url), what: "identities (run --cluster)")
    }
    let document = try AtomicFile.readJSON(
      IdentitiesDocument.self, from: url, displayPath: layout.relativePath(url))
    let loaded = try IdentityEditor.loadPooledTracks(layout: layout, episode: episode)
    return compute(
      document,
      evidence: Evidence(
        vectors: loaded.pooled.mapValues(\.vector), probeTracks: loaded.probeTracks,
        sharedFrames: try EpisodeFaces.sharedFramePairs(layout: layout, episode: episode)))
  }
}

extension ReviewSuggestions {
  /// The suggestions as lines for a terminal: each subject with its candidates, then the pairs.
  public var text: String {
    var lines: [String] = []
    for subject in subjects {
      let what =
        subject.kind == "track"
        ? "\(subject.id) (unidentified: \(subject.reason))"
        : "\(subject.id) (\(subject.trackIDs.joined(separator: ", ")))"
      let offers = subject.candidates.map {
        "\($0.identityID) \(String(format: "%.3f", $0.similarity))"
      }
      let left = subject.excluded.map { "\($0.identityID): \($0.reason)" }
      lines.append(
        "\(what) → " + (offers.isEmpty ? "no candidate" : offers.joined(separator: ", "))
          + (left.isEmpty ? "" : "  [excluded \(left.joined(separator: ", "))]"))
    }
    for pair in pairs {
      lines.append(
        "probably one person: \(pair.identityIDs.joined(separator: " + ")) "
          + String(format: "%.3f", pair.similarity))
    }
    return lines.isEmpty ? "no suggestion" : lines.joined(separator: "\n")
  }
}
