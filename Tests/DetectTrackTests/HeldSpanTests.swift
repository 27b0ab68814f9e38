import Artifacts
import Testing

@testable import DetectTrack

/// Track spans when the detector skips frames (docs/detect_track.md, "Frame schedule").
@Suite("track spans at a stride")
struct HeldSpanTests {
  /// Shots [0, 9] and [10, 29] at 25 fps.
  static let shots = [
    Shot(
      epID: "ep", shotIndex: 0, frameSpan: [0, 9], startSeconds: 0, endSeconds: 0.36, histogram: []),
    Shot(
      epID: "ep", shotIndex: 1, frameSpan: [10, 29], startSeconds: 0.4, endSeconds: 1.16,
      histogram: []),
  ]

  static func span(_ frames: ClosedRange<Int>, atShotStart: Bool, stride: Int) -> (
    first: Int, last: Int, startSeconds: Double, endSeconds: Double
  ) {
    let record = TrackMetricsBuilderTests.record(
      1, shot: frames.lowerBound < 10 ? 0 : 1, frames: frames, first: [0, 0, 9, 9],
      last: [0, 0, 9, 9], atShotStart: atShotStart)
    return DetectTrackStage.heldSpan(
      of: record, stride: stride, shots: shots, frameSeconds: 0.04)
  }

  @Test("the last analysed frame stands for the stride's frames after it, never past its shot")
  func endHeld() {
    let mid = Self.span(15...21, atShotStart: false, stride: 3)
    #expect(mid.first == 15 && mid.last == 23)
    #expect(abs(mid.endSeconds - 0.92) < 1e-9)
    let atEnd = Self.span(3...9, atShotStart: false, stride: 3)
    #expect(atEnd.last == 9, "clipped to the shot's last frame")
    let clipped = Self.span(12...27, atShotStart: false, stride: 3)
    #expect(clipped.last == 29 && abs(clipped.endSeconds - 1.16) < 1e-9)
  }

  @Test("a track born in its shot's first analysed frame starts with the shot")
  func startHeld() {
    let born = Self.span(12...18, atShotStart: true, stride: 3)
    #expect(born.first == 10 && abs(born.startSeconds - 0.4) < 1e-9)
    let later = Self.span(15...18, atShotStart: false, stride: 3)
    #expect(later.first == 15, "a track born mid-shot starts at its first detection")
  }

  @Test("stride 1: the span is the detections' frames")
  func strideOne() {
    let span = Self.span(12...18, atShotStart: true, stride: 1)
    #expect(span.first == 12 && span.last == 18)
  }
}
