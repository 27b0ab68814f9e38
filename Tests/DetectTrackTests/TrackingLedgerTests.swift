import Artifacts
import FaceAlignment
import FaceHarvestCore
import Foundation
import Testing

@testable import DetectTrack

/// `TrackingLedger`: rows and track records of detect-track without decoding or detecting.
@Suite("Tracking ledger")
struct TrackingLedgerTests {
  static let frame = TrackingLedger.Frame(index: 10, timestamp: 0.4, width: 200, height: 100)

  static func face(_ x: Double, score: Double) -> FaceDetection {
    FaceDetection(
      box: [x, 10, x + 40, 60], landmarks: (0..<5).map { Point2D(x: x + Double($0), y: 20) },
      score: score)
  }

  static func ledger() -> TrackingLedger {
    TrackingLedger(episode: "ep", modelID: "yunet", detThresh: 0.5)
  }

  @Test("a confident face is written untracked; a weak one only when a track takes it")
  func rowsAndThreshold() {
    var ledger = Self.ledger()
    let faces = [Self.face(0, score: 0.9), Self.face(100, score: 0.3), Self.face(150, score: 0.2)]
    let rows = ledger.rows(
      for: Self.frame, detections: faces,
      assignments: [ByteTracker.Assignment(trackNumber: 7, detection: faces[1])])
    #expect(rows.map(\.trackID) == [nil, "track-00007"])
    #expect(rows.map(\.conf) == [0.9, 0.3])
    #expect(rows[1].bbox == [0.5, 0.1, 0.7, 0.6])
    #expect(rows[1].landmarks.prefix(2) == [0.5, 0.2])
    #expect(ledger.trackedDetections == 1 && ledger.analysed == 1 && ledger.lastAnalysedFrame == 10)
  }

  @Test("equal detections go to their assignments in order")
  func equalDetections() {
    let same = Self.face(0, score: 0.9)
    let numbers = TrackingLedger.trackNumbers(
      [same, same],
      [
        ByteTracker.Assignment(trackNumber: 1, detection: same),
        ByteTracker.Assignment(trackNumber: 2, detection: same),
      ])
    #expect(numbers == [0: 1, 1: 2])
  }

  @Test("records follow a track across frames; a cut opens a shot, births there start it")
  func recordsAndShots() {
    var ledger = Self.ledger()
    let face = Self.face(0, score: 0.8)
    let take = [ByteTracker.Assignment(trackNumber: 1, detection: face)]
    _ = ledger.rows(for: Self.frame, detections: [face], assignments: take)
    var later = Self.frame
    later.index = 13
    later.timestamp = 0.52
    _ = ledger.rows(for: later, detections: [face], assignments: take)
    let record = ledger.records[1]
    #expect(record?.firstFrame == 10 && record?.lastFrame == 13 && record?.detections == 2)
    #expect(record?.bornAtShotStart == true && record?.shot == 0)

    ledger.cut()
    later.index = 16
    let born = [ByteTracker.Assignment(trackNumber: 2, detection: face)]
    _ = ledger.rows(for: later, detections: [face], assignments: born)
    later.index = 19
    let notFirst = [ByteTracker.Assignment(trackNumber: 3, detection: face)]
    _ = ledger.rows(for: later, detections: [face], assignments: notFirst)
    #expect(ledger.sceneCuts == 1 && ledger.shot == 1)
    #expect(ledger.records[2]?.shot == 1 && ledger.records[2]?.bornAtShotStart == true)
    #expect(ledger.records[3]?.bornAtShotStart == false)
    #expect(ledger.tracks.map(\.number) == [1, 2, 3])
  }

  @Test("track rows carry the span, the count and the mean confidence")
  func trackRows() {
    var ledger = Self.ledger()
    let faces = [Self.face(0, score: 0.6), Self.face(0, score: 1.0)]
    for (offset, face) in faces.enumerated() {
      var frame = Self.frame
      frame.index += offset
      _ = ledger.rows(
        for: frame, detections: [face],
        assignments: [ByteTracker.Assignment(trackNumber: 4, detection: face)])
    }
    let rows = ledger.trackRows(stride: 1, shots: [], frameSeconds: 0.04)
    #expect(rows.count == 1)
    #expect(rows[0].trackID == "track-00004" && rows[0].frameSpan == [10, 11])
    #expect(rows[0].stats.detections == 2 && abs(rows[0].stats.avgConf - 0.8) < 1e-12)
  }
}
