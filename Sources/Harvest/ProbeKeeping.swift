/// What becomes of a complete track's probe faces (docs/harvest.md, "Probe faces"): a track
/// with no accepted face embeds them; a track with one drops them, unless the episode cap may
/// still remove every accepted face, in which case they are embedded (the cap is known to
/// apply) or held, unembedded, until the plan's size is known (the one-decode pass).
struct ProbeKeeping: Equatable {
  /// A verdict on a complete track's probes.
  enum Verdict: Equatable {
    case embed
    case hold
    case discard
  }

  /// Whether the episode cap may remove accepted faces: nil while the number of planned faces
  /// is unknown.
  private(set) var capMayRemoveFaces: Bool?
  /// Tracks with a face that passed the gates.
  private(set) var definedTracks = Set<String>()

  /// The policy for an episode cap of `cap` faces (0: none) and a plan of `plannedFaces`
  /// faces, nil while it is not known.
  init(cap: Int, plannedFaces: Int?) {
    capMayRemoveFaces = cap > 0 ? plannedFaces.map { $0 > cap } : false
  }

  /// A face of `track` passed the gates: its probes are no longer needed for it.
  mutating func faceAccepted(track: String) {
    definedTracks.insert(track)
  }

  /// What to do with the probes of `track`, now complete.
  func verdict(forProbesOf track: String) -> Verdict {
    guard definedTracks.contains(track) else { return .embed }
    switch capMayRemoveFaces {
    case .some(true): return .embed
    case .some(false): return .discard
    case .none: return .hold
    }
  }

  /// The plan's size is known: `plannedFaces` faces against a cap of `cap`. Returns whether
  /// the held probes are to be embedded (else they are dropped).
  mutating func planKnown(cap: Int, plannedFaces: Int) -> Bool {
    let mayRemove = cap > 0 && plannedFaces > cap
    capMayRemoveFaces = mayRemove
    return mayRemove
  }
}

/// Which tracks of a known plan are complete as frames pass in order: a track is complete once
/// the frame of its last planned face (or probe) has been seen.
struct TrackCompletion {
  /// `(last frame, track)`, latest first, so the next to complete is at the end.
  private var ends: [(frame: Int, track: String)]

  /// Completion for tracks whose last planned frames are `lastFrames`.
  init(lastFrames: [String: Int]) {
    ends = lastFrames.map { (frame: $0.value, track: $0.key) }
      .sorted { ($0.frame, $0.track) > ($1.frame, $1.track) }
  }

  /// The tracks that `frame` completes (last frame at or before it), in (frame, track) order.
  mutating func complete(through frame: Int) -> [String] {
    var done: [String] = []
    while let next = ends.last, next.frame <= frame {
      done.append(next.track)
      ends.removeLast()
    }
    return done
  }

  /// Every track not yet complete (the video ended first), in (frame, track) order.
  mutating func rest() -> [String] {
    complete(through: Int.max)
  }
}
