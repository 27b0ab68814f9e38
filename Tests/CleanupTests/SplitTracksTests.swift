import Testing

@testable import Cleanup

@Suite("Clean-up: track splits")
struct SplitTracksTests {
  static let alice: [Float] = [1, 0, 0]
  static let bob: [Float] = [0, 1, 0]

  static func near(_ base: [Float], _ wobble: Float) -> [Float] {
    let v = [base[0] + wobble, base[1] - wobble, base[2] + wobble]
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / norm }
  }

  @Test("an identity switch is split at the first frame of the second person")
  func switchIsFound() {
    let faces = [
      (frame: 0, vector: Self.near(Self.alice, 0.05)), (frame: 10, vector: Self.alice),
      (frame: 20, vector: Self.near(Self.alice, -0.05)), (frame: 30, vector: Self.bob),
      (frame: 40, vector: Self.near(Self.bob, 0.05)),
    ]
    #expect(EpisodeCleanup.switchFrame(faces, threshold: 0.5, minimumPerSide: 2) == 30)
    // Order of the input does not matter.
    #expect(
      EpisodeCleanup.switchFrame(faces.reversed(), threshold: 0.5, minimumPerSide: 2) == 30)
  }

  @Test("one person, too few faces, or interleaved people: no split")
  func noSplit() {
    let one = (0..<6).map { (frame: $0 * 5, vector: Self.near(Self.alice, Float($0) * 0.02)) }
    #expect(EpisodeCleanup.switchFrame(one, threshold: 0.5, minimumPerSide: 2) == nil)
    let short = [(frame: 0, vector: Self.alice), (frame: 5, vector: Self.bob)]
    #expect(EpisodeCleanup.switchFrame(short, threshold: 0.5, minimumPerSide: 2) == nil)
    // Alternating faces are not a switch in time (each side would mix both people).
    let mixed = (0..<6).map { (frame: $0, vector: $0 % 2 == 0 ? Self.alice : Self.bob) }
    #expect(EpisodeCleanup.switchFrame(mixed, threshold: 0.5, minimumPerSide: 2) == nil)
  }

  @Test("action lists parse in the fixed order; an unknown action is named")
  func actions() throws {
    #expect(try CleanupAction.parse(list: "recluster, split_tracks") == [.splitTracks, .recluster])
    #expect {
      try CleanupAction.parse(list: "split_tracks,shuffle")
    } throws: { "\($0)".contains("shuffle") && "\($0)".contains("reembed") }
  }
}
