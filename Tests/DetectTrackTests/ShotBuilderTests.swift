import Artifacts
import Media
import Testing

@testable import DetectTrack

@Suite("Shots of shots.jsonl")
struct ShotBuilderTests {
  static func histogram(_ bin: Int) -> [Double] {
    (0..<64).map { $0 == bin ? 1 : 0 }
  }

  static func close(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 }
  }

  @Test("stride 1: shots tile the video, times and mean histograms are the shot's")
  func everyFrame() {
    var builder = ShotBuilder(episode: "ep", frameSeconds: 0.04)
    let cuts: Set<Int> = [4, 7]
    var previous: FrameTime?
    for index in 0..<10 {
      let frame = FrameTime(index: index, timestamp: Double(index) * 0.04)
      // Shot 1 (frames 4, 5, 6) alternates between bins 1, 2, 1: its mean is 2/3 and 1/3.
      let bin = index < 4 ? 0 : index < 7 ? 1 + index % 2 : 3
      builder.add(
        frame, histogram: Self.histogram(bin), cut: cuts.contains(index), previous: previous)
      previous = frame
    }
    let shots = builder.finish(last: FrameTime(index: 9, timestamp: 0.36))
    #expect(shots.map(\.shotIndex) == [0, 1, 2])
    #expect(shots.map(\.frameSpan) == [[0, 3], [4, 6], [7, 9]])
    #expect(Self.close(shots.map(\.startSeconds), [0, 0.16, 0.28]))
    #expect(Self.close(shots.map(\.endSeconds), [0.12, 0.24, 0.36]))
    #expect(shots[0].histogram == Self.histogram(0))
    #expect(Self.close(Array(shots[1].histogram[1...2]), [2.0 / 3, 1.0 / 3]))
    #expect(shots.allSatisfy { $0.epID == "ep" && $0.schemaVersion == "shot_v1" })
  }

  @Test("stride 3 with skipped frames: a shot ends the frame before the next one's first")
  func skippedFrames() {
    var builder = ShotBuilder(episode: "ep", frameSeconds: 0.1)
    // Analysed: 0, 3, 6; the decoder delivered frame 4 but skipped 1, 2 and 5.
    builder.add(
      FrameTime(index: 0, timestamp: 0), histogram: Self.histogram(0), cut: false, previous: nil)
    builder.add(
      FrameTime(index: 3, timestamp: 0.3), histogram: Self.histogram(0), cut: false,
      previous: FrameTime(index: 0, timestamp: 0))
    builder.add(
      FrameTime(index: 6, timestamp: 0.6), histogram: Self.histogram(5), cut: true,
      previous: FrameTime(index: 4, timestamp: 0.4))
    // The video has 8 frames; the last one delivered was frame 6.
    let shots = builder.finish(last: FrameTime(index: 7, timestamp: 0.7))
    #expect(shots.map(\.frameSpan) == [[0, 5], [6, 7]])
    #expect(abs(shots[0].endSeconds - 0.5) < 1e-12, "frame 5 dated one frame after frame 4")
    #expect(shots[1].startSeconds == 0.6 && shots[1].endSeconds == 0.7)
  }

  @Test("no analysed frame, no shot; one frame, one shot of one frame")
  func edges() {
    var empty = ShotBuilder(episode: "ep", frameSeconds: 0.04)
    #expect(empty.finish(last: FrameTime(index: -1, timestamp: 0)).isEmpty)
    var one = ShotBuilder(episode: "ep", frameSeconds: 0.04)
    one.add(
      FrameTime(index: 0, timestamp: 0), histogram: Self.histogram(0), cut: false, previous: nil)
    let shots = one.finish(last: FrameTime(index: 0, timestamp: 0))
    #expect(shots.map(\.frameSpan) == [[0, 0]] && shots[0].endSeconds == 0)
  }

  @Test("a frame time after a skipped run is extrapolated at the nominal rate")
  func frameTime() {
    let seen = FrameTime(index: 10, timestamp: 2)
    #expect(seen.time(of: 13, frameSeconds: 0.5) == 3.5)
    #expect(seen.time(of: 10, frameSeconds: 0.5) == 2)
    #expect(seen.time(of: 9, frameSeconds: 0.5) == 2, "never before the frame itself")
  }

  /// Analysed every 3rd frame (0, 3, …, 18) of a 20-frame video with a cut found at 12.
  static func strideThree(keyframes: [Int]) -> [Shot] {
    var builder = ShotBuilder(episode: "ep", frameSeconds: 0.1)
    var previous: FrameTime?
    for index in stride(from: 0, through: 18, by: 3) {
      let frame = FrameTime(index: index, timestamp: Double(index) * 0.1)
      builder.add(
        frame, histogram: Self.histogram(index < 12 ? 0 : 1), cut: index == 12,
        previous: previous)
      previous = frame
    }
    return builder.finish(last: FrameTime(index: 19, timestamp: 1.9), keyframes: keyframes)
  }

  @Test("a cut found between analysed frames moves to the last keyframe between them")
  func cutMovesToKeyframe() {
    let moved = Self.strideThree(keyframes: [0, 8, 10, 20])
    #expect(moved.map(\.frameSpan) == [[0, 9], [10, 19]])
    #expect(Self.close(moved.map(\.startSeconds), [0, 1.0]))
    #expect(Self.close(moved.map(\.endSeconds), [0.9, 1.9]))
    // Keyframes outside (9, 12): the analysed frame, or the frame after it, stays the start.
    #expect(Self.strideThree(keyframes: [0, 9, 12]).map(\.frameSpan) == [[0, 11], [12, 19]])
    #expect(Self.strideThree(keyframes: []).map(\.frameSpan) == [[0, 11], [12, 19]])
  }
}
