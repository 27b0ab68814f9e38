import Testing

@testable import Harvest

@Suite("Track sampling")
struct TrackSamplerTests {
  /// One candidate per frame in `frames`, scored by `score(frame)`.
  static func candidates(_ frames: [Int], score: (Int) -> Double = { _ in 0.5 })
    -> [SamplingCandidate]
  {
    frames.enumerated().map { SamplingCandidate(frameIndex: $1, score: score($1), id: $0) }
  }

  @Test("uniform keeps one detection every sample_interval frames")
  func uniformSpacing() {
    let sampler = TrackSampler(mode: .uniform, sampleInterval: 10, maxPerTrack: 100)
    let result = sampler.sample(Self.candidates(Array(0..<50)), frameSpan: 0...49)
    #expect(result.kept.map(\.frameIndex) == [0, 10, 20, 30, 40])
    #expect(result.capped.isEmpty)
  }

  @Test("uniform spacing follows gaps in the track")
  func uniformWithGaps() {
    let sampler = TrackSampler(mode: .uniform, sampleInterval: 5, maxPerTrack: 100)
    let frames = [0, 1, 2, 7, 8, 9, 30, 31, 36]
    #expect(
      sampler.sample(Self.candidates(frames), frameSpan: 0...36).kept.map(\.frameIndex) == [
        0, 7, 30, 36,
      ])
  }

  @Test("uniform thins evenly to the cap, keeping both ends")
  func uniformCap() {
    let sampler = TrackSampler(mode: .uniform, sampleInterval: 1, maxPerTrack: 5)
    let result = sampler.sample(Self.candidates(Array(0..<101)), frameSpan: 0...100)
    #expect(result.kept.map(\.frameIndex) == [0, 25, 50, 75, 100])
    #expect(result.capped.count == 96)
    let single = TrackSampler(mode: .uniform, sampleInterval: 1, maxPerTrack: 1)
      .sample(Self.candidates(Array(0..<11)), frameSpan: 0...10)
    #expect(single.kept.map(\.frameIndex) == [5])
  }

  @Test("quality-weighted keeps the best, spaced by at least sample_interval / 2")
  func qualityWeighted() {
    // Peaks at frames 20 and 22 (too close for interval 10: gap must be ≥ 5) and 60.
    let score: (Int) -> Double = { frame in
      switch frame {
      case 20: return 0.99
      case 22: return 0.98
      case 60: return 0.97
      case 90: return 0.9
      default: return 0.1 + Double(frame) / 1000
      }
    }
    let sampler = TrackSampler(mode: .qualityWeighted, sampleInterval: 10, maxPerTrack: 3)
    let result = sampler.sample(Self.candidates(Array(0..<100), score: score), frameSpan: 0...99)
    #expect(result.kept.map(\.frameIndex) == [20, 60, 90])
    for (first, second) in zip(result.kept, result.kept.dropFirst()) {
      #expect(second.frameIndex - first.frameIndex >= 5)
    }
    #expect(!result.capped.isEmpty)
    #expect(
      !result.capped.contains { $0.frameIndex == 22 }, "22 was dropped for spacing, not the cap")
  }

  @Test("stratified keeps the best detection of each of max_crops_per_track bins")
  func stratified() {
    let sampler = TrackSampler(mode: .stratified, sampleInterval: 24, maxPerTrack: 4)
    // Span 0...99 → bins 0–24, 25–49, 50–74, 75–99; best = the frame ending in 7 of each bin.
    let score: (Int) -> Double = { frame in [7, 37, 57, 87].contains(frame) ? 0.9 : 0.2 }
    let result = sampler.sample(Self.candidates(Array(0..<100), score: score), frameSpan: 0...99)
    #expect(result.kept.map(\.frameIndex) == [7, 37, 57, 87])
    #expect(result.kept.count + result.capped.count == 100)
  }

  @Test("stratified leaves empty bins empty")
  func stratifiedEmptyBins() {
    let sampler = TrackSampler(mode: .stratified, sampleInterval: 1, maxPerTrack: 4)
    let result = sampler.sample(Self.candidates([0, 1, 2, 90, 95]), frameSpan: 0...99)
    #expect(result.kept.count == 2)
  }

  @Test("every mode respects the per-track cap", arguments: SamplingMode.allCases)
  func capRespected(mode: SamplingMode) {
    let sampler = TrackSampler(mode: mode, sampleInterval: 2, maxPerTrack: 7)
    let result = sampler.sample(
      Self.candidates(Array(0..<500)) { Double(($0 * 7919) % 101) / 101 }, frameSpan: 0...499)
    #expect(result.kept.count == 7)
    #expect(result.kept.map(\.frameIndex) == result.kept.map(\.frameIndex).sorted())
    let none = TrackSampler(mode: mode, sampleInterval: 2, maxPerTrack: 0)
      .sample(Self.candidates(Array(0..<5)), frameSpan: 0...4)
    #expect(none.kept.isEmpty)
  }
}
