import Artifacts
import Testing

@testable import DetectTrack

@Suite("Track metrics")
struct TrackMetricsBuilderTests {
  static func record(
    _ number: Int, shot: Int, frames: ClosedRange<Int>, first: [Double], last: [Double],
    atShotStart: Bool
  ) -> TrackRecord {
    TrackRecord(
      number: number, shot: shot, firstFrame: frames.lowerBound, lastFrame: frames.upperBound,
      startSeconds: Double(frames.lowerBound) / 25, endSeconds: Double(frames.upperBound) / 25,
      detections: frames.count, confidenceSum: 0.9 * Double(frames.count), firstBox: first,
      lastBox: last, bornAtShotStart: atShotStart)
  }

  static let builder = TrackMetricsBuilder(
    episode: "ep", analysedFrames: 200, durationSeconds: 8, frameRate: 25, stride: 1,
    trackedDetections: 300, lastAnalysedFrame: 199, lostFramesKept: 25, shortTrackSeconds: 1,
    sceneCuts: 1, elapsedSeconds: 2, detector: "yunet", device: "cpu")

  @Test("a face re-acquired under a new id in the same shot is one id switch")
  func idSwitches() {
    let box = [100.0, 100, 200, 200]
    let far = [600.0, 100, 700, 200]
    let tracks = [
      Self.record(1, shot: 0, frames: 0...40, first: box, last: box, atShotStart: true),
      // Same place, 10 frames after track 1 ended: the tracker lost and re-identified it.
      Self.record(2, shot: 0, frames: 50...99, first: box, last: box, atShotStart: false),
      // A new face elsewhere: not a switch.
      Self.record(3, shot: 0, frames: 60...99, first: far, last: far, atShotStart: false),
      // Same place but in the next shot (after a cut): not a switch.
      Self.record(4, shot: 1, frames: 100...199, first: box, last: box, atShotStart: true),
      // Same place, but long after track 2 ended (beyond the lost-track buffer): not a switch.
      Self.record(5, shot: 0, frames: 130...140, first: box, last: box, atShotStart: false),
    ]
    #expect(Self.builder.idSwitches(tracks) == 1)
  }

  @Test("every field follows docs/detect_track.md")
  func fields() {
    let box = [0.0, 0, 50, 50]
    let tracks = [
      Self.record(1, shot: 0, frames: 0...99, first: box, last: box, atShotStart: true),
      Self.record(2, shot: 0, frames: 0...9, first: box, last: box, atShotStart: true),
      Self.record(3, shot: 1, frames: 100...199, first: box, last: box, atShotStart: true),
    ]
    let metrics = Self.builder.metrics(tracks)
    #expect(metrics.tracksBorn == 3)
    #expect(metrics.tracksLost == 2, "track 3 is still alive in the last analysed frame")
    #expect(metrics.longestTracks.map(\.trackID) == ["track-00001", "track-00003", "track-00002"])
    #expect(metrics.longestTracks.map(\.length) == [100, 100, 10])
    #expect(abs(metrics.shortTrackFraction - 1.0 / 3) < 1e-12, "10 frames = 0.4 s < 1 s")
    #expect(metrics.avgTracksPerFrame == 1.5)
    #expect(metrics.tracksPerMinute == 3 / (8.0 / 60))
    #expect(metrics.totalFrames == 200 && metrics.analyzedFPS == 25)
    #expect(metrics.sceneCuts == 1 && metrics.tracker == "bytetrack")
    let empty = Self.builder.metrics([])
    #expect(empty.tracksBorn == 0 && empty.shortTrackFraction == 0 && empty.longestTracks.isEmpty)
  }
}
