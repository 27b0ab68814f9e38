import Artifacts
import Foundation
import Testing

@testable import Identities

@Suite("Probe assignment and shot threads")
struct ProbeAssignmentTests {
  /// A unit vector at `degrees` in the plane of the first two axes (cosine of the angle between
  /// two of them is their similarity).
  static func vector(_ degrees: Double) -> [Float] {
    let radians = degrees * .pi / 180
    return [Float(cos(radians)), Float(sin(radians)), 0]
  }

  static let assigner = ProbeAssigner(
    assignThreshold: 0.5, groupThreshold: 0.6, margin: 0.05, linkage: .average,
    minTrackConfidence: 0.6)

  /// Two identities: A (tracks a1, a2 at 0°) and B (b1 at 90°).
  static func evidence(_ probes: [String: Double], confidence: [String: Double] = [:])
    -> ProbeAssigner.Evidence
  {
    var vectors = ["a1": vector(0), "a2": vector(0), "b1": vector(90)]
    var trackConfidence: [String: Double] = [:]
    for (track, degrees) in probes {
      vectors[track] = vector(degrees)
      trackConfidence[track] = confidence[track] ?? 0.8
    }
    return ProbeAssigner.Evidence(
      vectors: vectors, cannotLink: [], confidence: trackConfidence)
  }

  @Test("a clear match joins; a low-confidence track is not a face; a near tie is ambiguous")
  func placements() {
    // p1 at 10° (cos 0.98 to A, 0.17 to B); p2 at 45° (0.71 to both: no margin); p3 low conf.
    let evidence = Self.evidence(
      ["p1": 10, "p2": 45, "p3": 5], confidence: ["p3": 0.55])
    let outcome = Self.assigner.assign(
      probes: ["p1", "p2", "p3"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.joined == [0: ["p1"]])
    #expect(outcome.newGroups.isEmpty)
    #expect(
      outcome.unidentified.map { [$0.trackID, $0.reason.rawValue] } == [
        ["p3", "not_a_face"], ["p2", "ambiguous"],
      ])
    #expect(outcome.unidentified[1].bestGroup == 0)
  }

  @Test("a locked identity is compared with but never joined: its clear match stays ambiguous")
  func lockedIdentity() {
    // p1 at 10° matches A clearly; A is locked (index 1, from closedFrom on): p1 must not go to B.
    let evidence = Self.evidence(["p1": 10])
    let outcome = Self.assigner.assign(
      probes: ["p1"], groups: [["b1"], ["a1", "a2"]], closedFrom: 1, evidence: evidence)
    #expect(outcome.joined.isEmpty)
    #expect(
      outcome.unidentified.map { [$0.trackID, $0.reason.rawValue] } == [["p1", "ambiguous"]])
    #expect(outcome.unidentified.first?.bestGroup == 1)
  }

  @Test("an identity sharing a frame with the probe is never a candidate, nor after a join")
  func cannotLink() {
    var evidence = Self.evidence(["p1": 5, "p2": 8])
    // p2 shares a frame with p1: once p1 (the better match) joins A, A is closed to p2.
    evidence.cannotLink = [["p1", "p2"]]
    let outcome = Self.assigner.assign(
      probes: ["p2", "p1"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.joined == [0: ["p1"]])
    #expect(outcome.unidentified.map(\.trackID) == ["p2"])
    #expect(outcome.unidentified.first?.reason == .ambiguous)
  }

  @Test("probe-only tracks that match each other but no identity form one; a lone one is unmatched")
  func newIdentity() {
    // q1, q2 at 200° and 205° (similar to each other, far from A and B); q3 on the third axis.
    var evidence = Self.evidence(["q1": 200, "q2": 205, "q3": 0])
    evidence.vectors["q3"] = [0, 0, 1]
    let outcome = Self.assigner.assign(
      probes: ["q1", "q2", "q3"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.joined.isEmpty)
    #expect(outcome.newGroups == [["q1", "q2"]])
    // Two probe-only tracks at 0.55 (above the join bar 0.5, below the group bar 0.6) stay apart.
    var apart = Self.evidence(["r1": 200, "r2": 200 + acos(0.55) * 180 / .pi])
    apart.seconds = [:]
    let separate = Self.assigner.assign(
      probes: ["r1", "r2"], groups: [["a1", "a2"], ["b1"]], evidence: apart)
    #expect(separate.newGroups.isEmpty)
    #expect(separate.unidentified.map(\.reason) == [.unmatched, .unmatched])
    #expect(
      outcome.unidentified.map { [$0.trackID, $0.reason.rawValue] } == [["q3", "unmatched"]])
  }

  @Test("a lone probe-only track is a person of its own only when confident, long and unlike all")
  func soloIdentity() {
    var evidence = Self.evidence(["q": 0, "weak": 0, "near": 60], confidence: ["weak": 0.6])
    evidence.vectors["q"] = [0, 0, 1]
    evidence.vectors["weak"] = [0, 0, -1]
    evidence.seconds = ["q": 2, "weak": 2, "near": 2]
    // "near" (60°) resembles A at 0.5: with the join bar at 0.9 it joins nothing, and it stays
    // unmatched because it resembles A (0.5 ≥ 0.15); "weak" is not confident enough (0.6).
    var assigner = Self.assigner
    assigner.assignThreshold = 0.9
    let outcome = assigner.assign(
      probes: ["q", "weak", "near"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.newGroups == [["q"]])
    #expect(outcome.unidentified.map(\.trackID).sorted() == ["near", "weak"])
    evidence.seconds["q"] = 0.5
    #expect(
      assigner.assign(probes: ["q"], groups: [["a1", "a2"]], evidence: evidence).newGroups.isEmpty,
      "too short to stand alone")
  }

  @Test("a leftover track gets a second chance against identities that probe tracks built")
  func secondChance() {
    // q1, q2 (200°, 205°) form a new identity; q4 at 258° is 0.53/0.60 to them (mean 0.57):
    // below the group bar 0.6, above the join bar 0.5, and unlike A and B.
    let evidence = Self.evidence(["q1": 200, "q2": 205, "q4": 258])
    let outcome = Self.assigner.assign(
      probes: ["q1", "q2", "q4"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.newGroups == [["q1", "q2", "q4"]])
    #expect(outcome.unidentified.isEmpty)
    // Its best match is reported by index past the given groups when it stays out.
    var strict = Self.assigner
    strict.assignThreshold = 0.59
    let left = strict.assign(
      probes: ["q1", "q2", "q4"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(left.newGroups == [["q1", "q2"]])
    #expect(left.unidentified.map(\.trackID) == ["q4"])
    #expect(left.unidentified.first?.bestGroup == 2)
  }

  static func view(_ recognisable: Int, tooSmall: Bool = false, agreement: Double? = 0.9)
    -> ProbeAssigner.View
  {
    ProbeAssigner.View(
      recognisableFaces: recognisable, allTooSmall: tooSmall, agreement: agreement)
  }

  @Test("first placement: a clearly seen stranger forms a person of their own; a tiny face joins")
  func clearFaces() {
    // s1, s2 at -55° and -58°: 0.57 and 0.53 like A, 1.0 like each other, unlike B.
    var evidence = Self.evidence(["s1": -55, "s2": -58])
    var assigner = Self.assigner
    assigner.clearFace = ProbeAssigner.ClearFace(minFacePx: 20, clearFacePx: 64)
    let groups = [["a1", "a2"], ["b1"]]
    func sized(_ px: Double) -> ProbeAssigner.View {
      var view = Self.view(3)
      view.recognisableSize = px
      return view
    }
    // Seen at 64 px: the bar is the group bar (0.6); neither joins A, together they are a person.
    evidence.views = ["s1": sized(64), "s2": sized(70)]
    let clear = assigner.assign(probes: ["s1", "s2"], groups: groups, evidence: evidence)
    #expect(clear.joined.isEmpty)
    #expect(clear.newGroups == [["s1", "s2"]])
    // Seen at 20 px and less: the relaxed bar (0.5); both join A.
    evidence.views = ["s1": sized(20), "s2": Self.view(0, tooSmall: true)]
    let tiny = assigner.assign(probes: ["s1", "s2"], groups: groups, evidence: evidence)
    #expect(tiny.joined == [0: ["s1", "s2"]])
    // At 42 px (bar 0.55) s1 joins first; s2 (0.53) joins on its second chance, where the bar is
    // the relaxed one against every member of A.
    evidence.views = ["s1": sized(42), "s2": sized(42)]
    let between = assigner.assign(probes: ["s1", "s2"], groups: groups, evidence: evidence)
    #expect(between.joined == [0: ["s1", "s2"]])
    #expect(between.newGroups.isEmpty)
    // Seen clearly in one of four probe faces only: a quarter of the rise (bar 0.525), so the
    // pair is mostly a degraded view and joins A.
    var once = sized(64)
    once.recognisableFaces = 1
    once.probeFaces = 4
    evidence.views = ["s1": once, "s2": once]
    #expect(
      assigner.assign(probes: ["s1", "s2"], groups: groups, evidence: evidence).joined == [
        0: ["s1", "s2"]
      ])
    #expect(abs(assigner.firstPlacementBar(once) - 0.525) < 1e-12)
    // A clear track between the relaxed bar and its own is not a claim: with A locked it is not
    // `ambiguous` (a claim on a locked identity) but free to form a person with its peer.
    evidence.views = ["s1": sized(64), "s2": sized(70)]
    let locked = assigner.assign(
      probes: ["s1", "s2"], groups: [["b1"], ["a1", "a2"]], closedFrom: 1, evidence: evidence)
    #expect(locked.newGroups == [["s1", "s2"]] && locked.unidentified.isEmpty)
    // Without the rise (0), the 64 px pair joins A at the relaxed bar.
    assigner.clearFace.clearFacePx = 0
    evidence.views = ["s1": sized(64), "s2": sized(70)]
    #expect(
      assigner.assign(probes: ["s1", "s2"], groups: groups, evidence: evidence).joined == [
        0: ["s1", "s2"]
      ])
  }

  @Test("the first placement's bar rises linearly with the recognisable face size")
  func clearFaceShare() {
    let rise = ProbeAssigner.ClearFace(minFacePx: 20, clearFacePx: 64)
    #expect(rise.share(nil) == 0)
    #expect(rise.share(10) == 0 && rise.share(20) == 0)
    #expect(abs(rise.share(42) - 0.5) < 1e-12)
    #expect(rise.share(64) == 1 && rise.share(300) == 1)
    #expect(ProbeAssigner.ClearFace(minFacePx: 20, clearFacePx: 0).share(300) == 0)
    #expect(ProbeAssigner.ClearFace(minFacePx: 20, clearFacePx: 20).share(5) == 1)
  }

  @Test("degraded-only tracks may join an identity but never create one; their reason says why")
  func degradedOnly() {
    var evidence = Self.evidence(["d1": 200, "d2": 205, "d3": 8])
    evidence.views = [
      "d1": Self.view(0, tooSmall: true), "d2": Self.view(0), "d3": Self.view(0, tooSmall: true),
    ]
    let outcome = Self.assigner.assign(
      probes: ["d1", "d2", "d3"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(outcome.joined == [0: ["d3"]], "a tiny face still joins its clear match")
    #expect(outcome.newGroups.isEmpty)
    #expect(
      outcome.unidentified.map { [$0.trackID, $0.reason.rawValue] } == [
        ["d1", "too_small"], ["d2", "degraded"],
      ])
    // One recognisable member is enough for the pair to be a person.
    evidence.views["d2"] = Self.view(3)
    let pair = Self.assigner.assign(
      probes: ["d1", "d2"], groups: [["a1", "a2"], ["b1"]], evidence: evidence)
    #expect(pair.newGroups == [["d1", "d2"]])
  }

  @Test("a lone track stands alone only with enough recognisable faces that agree")
  func soloNeedsRecognisableFaces() {
    var evidence = Self.evidence(["q": 0])
    evidence.vectors["q"] = [0, 0, 1]
    evidence.seconds = ["q": 2]
    for (view, alone) in [
      (Self.view(3), true), (Self.view(2), false), (Self.view(5, agreement: 0.3), false),
      (Self.view(0, tooSmall: true, agreement: nil), false),
    ] {
      evidence.views["q"] = view
      let outcome = Self.assigner.assign(probes: ["q"], groups: [["a1", "a2"]], evidence: evidence)
      #expect(outcome.newGroups == (alone ? [["q"]] : []), "\(view)")
    }
    // Compared with every identity: a probe-built identity it resembles keeps it from standing
    // alone (0.5 at 60° to p1 and p2, which form an identity of their own).
    var near = Self.evidence(["p1": 200, "p2": 202, "q": 261])
    near.seconds = ["q": 2]
    near.views = ["q": Self.view(5)]
    var strict = Self.assigner
    strict.assignThreshold = 0.9
    let outcome = strict.assign(
      probes: ["p1", "p2", "q"], groups: [["a1", "a2"], ["b1"]], evidence: near)
    #expect(outcome.newGroups == [["p1", "p2"]])
    #expect(outcome.unidentified.map(\.trackID) == ["q"])
  }

  @Test("a lone defining track joins a cluster only when one member is as close as cluster_thresh")
  func loneDefiningTrack() {
    // Cluster A (a1, a2 at 0°); lone tracks: e at 50° (0.64 to both: an expression of A) and
    // d at 57° (0.54 to both: over the join bar 0.5, under the group bar 0.6: somebody else).
    var evidence = Self.evidence([:])
    evidence.vectors["e"] = Self.vector(50)
    evidence.vectors["d"] = Self.vector(57)
    evidence.vectors["z"] = Self.vector(180)
    let seeds = IdentityClusterer.DefiningGroups(
      groups: [["a1", "a2"], ["e"], ["d"], ["z"]], clusterCount: 1, lone: ["e", "d", "z"],
      cannotLinkPairs: 0)
    let groups = IdentityClusterer.attachLoneTracks(
      seeds, locked: [], assigner: Self.assigner, evidence: evidence)
    #expect(groups == [["a1", "a2", "e"], ["d"], ["z"]])
  }

  @Test("the shot-thread bonus lifts a same-place pair over the threshold; a cut-apart set-up not")
  func threads() throws {
    let histogram = [Double](repeating: 1.0 / 64, count: 64)
    var other = [Double](repeating: 0, count: 64)
    other[0] = 1
    let shots = [
      Shot(
        epID: "e", shotIndex: 0, frameSpan: [0, 99], startSeconds: 0, endSeconds: 3.96,
        histogram: histogram),
      Shot(
        epID: "e", shotIndex: 1, frameSpan: [100, 199], startSeconds: 4, endSeconds: 7.96,
        histogram: other),
      Shot(
        epID: "e", shotIndex: 2, frameSpan: [200, 299], startSeconds: 8, endSeconds: 11.96,
        histogram: histogram),
    ]
    let left = [0.1, 0.2, 0.3, 0.5]
    let threads = ShotThreads(
      shots: shots,
      meanBoxes: ["t0": left, "t1": left, "t2": left, "t3": [0.6, 0.2, 0.8, 0.5]],
      trackFirstFrames: ["t0": 10, "t1": 120, "t2": 250, "t3": 260], bonus: 0.1,
      maxHistogramDistance: 0.1, minBoxIoU: 0.3)
    #expect(threads.bonus("t0", "t2") == 0.1, "shots 0 and 2: one set-up, same place")
    #expect(threads.bonus("t0", "t1") == 0, "shot 1 is another set-up")
    #expect(threads.bonus("t0", "t3") == 0, "another place in the frame")
    #expect(
      threads.pairBonuses(["t0", "t1", "t2"]) == [PairBonus(first: 0, second: 2, similarity: 0.1)])
    // 0.45 similar (below 0.5 alone), 0.55 with the bonus: one cluster.
    let a: [Float] = [1, 0]
    let b: [Float] = [0.45, Float((1 - 0.45 * 0.45).squareRoot())]
    #expect(
      AgglomerativeClustering.cluster([a, b], linkage: .average, maximumDistance: 0.5) == [0, 1])
    #expect(
      AgglomerativeClustering.cluster(
        [a, b], linkage: .average, maximumDistance: 0.5,
        bonus: [PairBonus(first: 0, second: 1, similarity: 0.1)]) == [0, 0])
  }
}
