import Testing

@testable import Harvest

@Suite("ProbeKeeping and TrackCompletion")
struct ProbeKeepingTests {
  @Test("a track with no accepted face embeds its probes; one with a face drops them")
  func withoutCap() {
    var keeping = ProbeKeeping(cap: 0, plannedFaces: nil)
    keeping.faceAccepted(track: "B")
    #expect(keeping.verdict(forProbesOf: "A") == .embed)
    #expect(keeping.verdict(forProbesOf: "B") == .discard)
  }

  @Test("a cap the plan exceeds embeds every probe; a cap it fits drops them")
  func knownCap() {
    var over = ProbeKeeping(cap: 10, plannedFaces: 11)
    over.faceAccepted(track: "A")
    #expect(over.verdict(forProbesOf: "A") == .embed)
    var within = ProbeKeeping(cap: 10, plannedFaces: 10)
    within.faceAccepted(track: "A")
    #expect(within.verdict(forProbesOf: "A") == .discard)
    #expect(within.verdict(forProbesOf: "B") == .embed)
  }

  @Test("with a cap and the plan's size unknown, a defined track's probes are held until it is")
  func unknownPlan() {
    var keeping = ProbeKeeping(cap: 10, plannedFaces: nil)
    keeping.faceAccepted(track: "A")
    #expect(keeping.verdict(forProbesOf: "A") == .hold)
    #expect(keeping.verdict(forProbesOf: "B") == .embed)
    var exceeded = keeping
    let embedHeld = exceeded.planKnown(cap: 10, plannedFaces: 12)
    #expect(embedHeld)
    #expect(exceeded.verdict(forProbesOf: "A") == .embed)
    let embedHeldWithin = keeping.planKnown(cap: 10, plannedFaces: 3)
    #expect(!embedHeldWithin)
    #expect(keeping.verdict(forProbesOf: "A") == .discard)
  }

  @Test("tracks complete when the frame of their last planned face passes, in frame order")
  func completion() {
    var completion = TrackCompletion(lastFrames: ["A": 13, "B": 20, "C": 15, "D": 13])
    #expect(completion.complete(through: 12).isEmpty)
    #expect(completion.complete(through: 13) == ["A", "D"])
    // A frame that never arrives (damaged, past the end) is passed by a later one.
    #expect(completion.complete(through: 19) == ["C"])
    #expect(completion.complete(through: 19).isEmpty)
    #expect(completion.rest() == ["B"])
    #expect(completion.rest().isEmpty)
  }
}
