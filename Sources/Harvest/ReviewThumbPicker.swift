/// Chooses each track's review thumbnails (docs/harvest.md, "Review thumbnails"): while a track
/// is open its candidates are offered, and the best `perTrack` are kept — faces that passed
/// the gates for an identity first, then probe faces, then the track's best detection — by
/// quality within a kind. Generic over what a candidate carries (the harvest keeps the 112×112
/// alignment), so the rules are tested without pixels. One candidate per frame: a second offer
/// of the same frame keeps the better kind.
struct ReviewThumbPicker<Picture> {
  /// What a candidate is, best first.
  enum Kind: Int, Comparable {
    /// A face that passed the gates for an identity.
    case defining
    /// A probe face that passed the probe gates.
    case probe
    /// The track's best detection, cut whatever the gates said (never blank).
    case detection

    static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  /// One candidate thumbnail.
  struct Candidate {
    var frameIndex: Int
    var kind: Kind
    /// Higher is better; compared only within a kind.
    var score: Double
    var picture: Picture

    /// Whether `self` ranks before `other`: better kind, then higher score, then earlier frame.
    func ranks(before other: Candidate) -> Bool {
      (kind.rawValue, -score, frameIndex) < (other.kind.rawValue, -other.score, other.frameIndex)
    }
  }

  /// Thumbnails kept per track; 0 keeps none.
  let perTrack: Int
  private var open: [String: [Candidate]] = [:]

  init(perTrack: Int) {
    self.perTrack = max(0, perTrack)
  }

  /// Offers a candidate of `track`; it is kept while it ranks among the track's best.
  mutating func offer(_ candidate: Candidate, track: String) {
    guard perTrack > 0 else { return }
    var kept = open[track] ?? []
    if let same = kept.firstIndex(where: { $0.frameIndex == candidate.frameIndex }) {
      guard candidate.ranks(before: kept[same]) else { return }
      kept.remove(at: same)
    }
    let position = kept.firstIndex { candidate.ranks(before: $0) } ?? kept.endIndex
    guard position < perTrack else { return }
    kept.insert(candidate, at: position)
    if kept.count > perTrack { kept.removeLast() }
    open[track] = kept
  }

  /// The track is complete: its thumbnails in frame order, forgotten here.
  mutating func take(track: String) -> [Candidate] {
    (open.removeValue(forKey: track) ?? []).sorted { $0.frameIndex < $1.frameIndex }
  }

  /// Tracks with candidates not yet taken, sorted.
  var openTracks: [String] { open.keys.sorted() }
}
