import FaceHarvestCore
import Foundation
import Testing

@testable import Harvest

@Suite("ProbeDemand: probes embedded by need")
struct ProbeDemandTests {
  /// A unit vector at `degrees` in the plane (cosine of two = cosine of their angle difference).
  static func unit(_ degrees: Double) -> [Float] {
    let radians = degrees * .pi / 180
    return [Float(cos(radians)), Float(sin(radians)), 0]
  }

  @Test("the best three go first; when they agree the other two are dropped unembedded")
  func agreeingProbesSettle() {
    var demand = ProbeDemand<String>(firstRound: 3, agreement: 0.5)
    let first = demand.start(track: "A", probes: ["a1", "a2", "a3", "a4", "a5"])
    #expect(first == ["a1", "a2", "a3"])
    #expect(demand.openTracks == 1)
    // 0°, 20°, 40°: pairwise cosines 0.94, 0.94, 0.77 (mean 0.88).
    #expect(demand.embedded(track: "A", vector: Self.unit(0)) == ([], []))
    #expect(demand.embedded(track: "A", vector: Self.unit(20)) == ([], []))
    let last = demand.embedded(track: "A", vector: Self.unit(40))
    #expect(last.embed.isEmpty && last.drop == ["a4", "a5"])
    #expect(demand.openTracks == 0)
  }

  @Test("probes that disagree release the rest of the track")
  func disagreeingProbesAskForMore() {
    var demand = ProbeDemand<String>(firstRound: 3, agreement: 0.5)
    _ = demand.start(track: "A", probes: ["a1", "a2", "a3", "a4"])
    _ = demand.embedded(track: "A", vector: Self.unit(0))
    _ = demand.embedded(track: "A", vector: Self.unit(70))
    // 0°, 70°, 140°: cosines 0.34, 0.34, -0.77 (mean -0.03).
    let last = demand.embedded(track: "A", vector: Self.unit(140))
    #expect(last.embed == ["a4"] && last.drop.isEmpty)
    // The second round is not decided again: its results change nothing.
    #expect(demand.embedded(track: "A", vector: Self.unit(0)) == ([], []))
  }

  @Test("a first round with fewer than two embeddings (the embedder refused) embeds the rest")
  func failedEmbeddingsAskForMore() {
    var demand = ProbeDemand<String>(firstRound: 3, agreement: 0.5)
    _ = demand.start(track: "A", probes: ["a1", "a2", "a3", "a4", "a5"])
    _ = demand.embedded(track: "A", vector: nil)
    _ = demand.embedded(track: "A", vector: nil)
    let last = demand.embedded(track: "A", vector: Self.unit(0))
    #expect(last.embed == ["a4", "a5"] && last.drop.isEmpty)
  }

  @Test("tracks with no more probes than the first round, and a first round of 0, embed all")
  func smallTracksAndOff() {
    var demand = ProbeDemand<String>(firstRound: 3, agreement: 0.5)
    #expect(demand.start(track: "A", probes: ["a1", "a2", "a3"]) == ["a1", "a2", "a3"])
    #expect(demand.openTracks == 0)
    var off = ProbeDemand<String>(firstRound: 0, agreement: 0.5)
    #expect(off.start(track: "B", probes: ["b1", "b2", "b3", "b4"]) == ["b1", "b2", "b3", "b4"])
    #expect(off.openTracks == 0)
  }

  @Test("tracks are decided apart, whatever order their embeddings come back in")
  func tracksInterleave() {
    var demand = ProbeDemand<String>(firstRound: 2, agreement: 0.5)
    _ = demand.start(track: "A", probes: ["a1", "a2", "a3"])
    _ = demand.start(track: "B", probes: ["b1", "b2", "b3"])
    _ = demand.embedded(track: "B", vector: Self.unit(0))
    _ = demand.embedded(track: "A", vector: Self.unit(0))
    let b = demand.embedded(track: "B", vector: Self.unit(90))
    let a = demand.embedded(track: "A", vector: Self.unit(10))
    #expect(b.embed == ["b3"] && b.drop.isEmpty)
    #expect(a.drop == ["a3"] && a.embed.isEmpty)
  }

  @Test("mean pairwise similarity")
  func meanPairwise() throws {
    let mean = try #require(meanPairwiseCosine([Self.unit(0), Self.unit(60), Self.unit(120)]))
    // cos 60 = 0.5, cos 60 = 0.5, cos 120 = -0.5.
    #expect(abs(mean - 1.0 / 6.0) < 1e-6)
    #expect(meanPairwiseCosine([Self.unit(0)]) == 1)
    #expect(meanPairwiseCosine([]) == nil)
  }
}
