import FaceHarvestCore

/// Which of a track's probe faces are embedded (docs/harvest.md, "Probes by need"): the best
/// `firstRound` first; once they are embedded, the rest only when those disagree (their mean
/// pairwise similarity under `agreement`), else the rest are dropped unembedded. On crowded
/// footage most tracks have no accepted face and probes were most of the embedder's work.
///
/// A state struct: the session feeds it a track's probes when the track is complete (`start`)
/// and each probe's embedding as it comes back (`embedded`); it answers with what to embed or
/// drop next. The decision depends only on the track's own probes, never on timing or batches.
struct ProbeDemand<Probe> {
  /// Probes embedded before any decision (at least 2, so that there is a pair to compare).
  let firstRound: Int
  /// Mean pairwise cosine similarity at which the first round settles the track.
  let agreement: Double

  /// A track whose first round is being embedded.
  private struct Round {
    var outstanding: Int
    var vectors: [[Float]] = []
    var rest: [Probe]
  }

  private var rounds: [String: Round] = [:]

  /// A policy embedding the best `firstRound` probes first (0: every probe at once).
  init(firstRound: Int, agreement: Double) {
    self.firstRound = firstRound
    self.agreement = agreement
  }

  /// Tracks whose first round has not come back yet.
  var openTracks: Int { rounds.count }

  /// `track` is complete with `probes`, best first: returns the probes to embed now; the rest
  /// wait for the first round's embeddings.
  mutating func start(track: String, probes: [Probe]) -> [Probe] {
    guard firstRound >= 2, probes.count > firstRound else { return probes }
    rounds[track] = Round(
      outstanding: firstRound, rest: Array(probes[firstRound...]))
    return Array(probes.prefix(firstRound))
  }

  /// One of `track`'s probes came back from the embedder (`vector` nil: it failed). Once its
  /// whole first round is back: the rest to embed (the probes disagree, or fewer than two
  /// embedded) or to drop (they agree). Empty lists until then, and for tracks not waiting.
  mutating func embedded(track: String, vector: [Float]?) -> (embed: [Probe], drop: [Probe]) {
    guard var round = rounds[track] else { return ([], []) }
    round.outstanding -= 1
    if let vector { round.vectors.append(vector) }
    guard round.outstanding == 0 else {
      rounds[track] = round
      return ([], [])
    }
    rounds[track] = nil
    if round.vectors.count >= 2, (meanPairwiseCosine(round.vectors) ?? 0) >= agreement {
      return ([], round.rest)
    }
    return (round.rest, [])
  }
}
