import FaceAlignment
import FaceHarvestCore
import Foundation
import Testing

@testable import DetectTrack

@Suite("ByteTrack")
struct ByteTrackerTests {
  static func face(_ x: Double, _ y: Double, size: Double = 80, score: Double = 0.9)
    -> FaceDetection
  {
    FaceDetection(
      box: [x, y, x + size, y + size], landmarks: Array(repeating: Point2D(x: x, y: y), count: 5),
      score: score)
  }

  @Test("one moving face keeps one track; an occlusion of a few frames does not split it")
  func occlusion() {
    let tracker = ByteTracker()
    var numbers: [Int] = []
    for frame in 0..<40 {
      let hidden = (15..<20).contains(frame)
      let assignments = tracker.update(hidden ? [] : [Self.face(100 + Double(frame) * 3, 100)])
      numbers += assignments.map(\.trackNumber)
    }
    #expect(Set(numbers) == [1])
    #expect(numbers.count == 35)
  }

  @Test("a low-score detection continues a track through the second association")
  func lowScoreContinues() {
    let tracker = ByteTracker()
    _ = tracker.update([Self.face(100, 100)])
    _ = tracker.update([Self.face(102, 100)])
    let weak = tracker.update([Self.face(104, 100, score: 0.3)])
    #expect(weak.map(\.trackNumber) == [1])
    // A lone low-score detection never starts a track.
    let other = ByteTracker()
    #expect(other.update([Self.face(100, 100, score: 0.3)]).isEmpty)
  }

  @Test("two faces crossing paths keep their own tracks")
  func crossing() {
    let tracker = ByteTracker()
    var firstPath: Set<Int> = []
    var secondPath: Set<Int> = []
    for frame in 0..<60 {
      let left = Self.face(100 + Double(frame) * 10, 100)
      let right = Self.face(700 - Double(frame) * 10, 130)
      for assignment in tracker.update([left, right]) {
        if assignment.detection == left { firstPath.insert(assignment.trackNumber) }
        if assignment.detection == right { secondPath.insert(assignment.trackNumber) }
      }
    }
    #expect(firstPath.count == 1 && secondPath.count == 1 && firstPath != secondPath)
  }

  @Test("a face that disappears for longer than the buffer comes back as a new track")
  func lostTrackExpires() {
    var config = ByteTrackConfig()
    config.trackBuffer = 5
    let tracker = ByteTracker(config: config)
    _ = tracker.update([Self.face(100, 100)])
    for _ in 0..<8 { _ = tracker.update([]) }
    _ = tracker.update([Self.face(100, 100)])
    let back = tracker.update([Self.face(100, 100)])
    #expect(back.map(\.trackNumber) == [2])
  }

  @Test(
    "on the sample's ground-truth boxes, with a reset at each cut: one track per shot and person")
  func sampleEpisode() throws {
    let data = DetectTestEnvironment.data.appendingPathComponent("ground_truth/sample-s01e01")
    let shots = try #require(
      (try JSONSerialization.jsonObject(
        with: Data(contentsOf: data.appendingPathComponent("shots.json")))
        as? [String: Any])?["shots"] as? [[String: Any]])
    let cuts = Set(shots.compactMap { $0["start_frame"] as? Int })
    var byFrame: [Int: [(box: [Double], key: String)]] = [:]
    for line in try String(
      contentsOf: data.appendingPathComponent("ground_truth.jsonl"), encoding: .utf8
    )
    .split(separator: "\n") {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      guard let visible = object["visible_fraction"] as? Double, visible >= 0.5,
        let frame = object["frame_idx"] as? Int, let box = object["bbox_px"] as? [Double],
        let shot = object["shot"] as? Int, let identity = object["identity"] as? String
      else { continue }
      byFrame[frame, default: []].append((box, "\(shot)/\(identity)"))
    }
    let tracker = ByteTracker(
      config: {
        var c = ByteTrackConfig()
        c.frameRate = 25
        return c
      }())
    var keysOfTrack: [Int: Set<String>] = [:]
    var tracksOfKey: [String: Set<Int>] = [:]
    for frame in 0..<500 {
      if cuts.contains(frame) { tracker.reset() }
      let faces = byFrame[frame] ?? []
      // Detector-like jitter: a deterministic pixel or two, scores 0.75–0.95.
      let detections = faces.enumerated().map { index, face in
        let jitter = Double((frame * 7 + index * 3) % 5) - 2
        return FaceDetection(
          box: face.box.map { $0 + jitter }, landmarks: [],
          score: 0.75 + Double((frame + index) % 5) * 0.05)
      }
      for assignment in tracker.update(detections) {
        guard let index = detections.firstIndex(of: assignment.detection) else { continue }
        keysOfTrack[assignment.trackNumber, default: []].insert(faces[index].key)
        tracksOfKey[faces[index].key, default: []].insert(assignment.trackNumber)
      }
    }
    #expect(keysOfTrack.values.allSatisfy { $0.count == 1 }, "no track mixes shots or people")
    let single = tracksOfKey.values.filter { $0.count == 1 }.count
    #expect(Double(single) / Double(tracksOfKey.count) >= 0.9, "\(tracksOfKey)")
    #expect(tracksOfKey.count == 13)
  }

  /// A 24 px face walking in at 200 px/s, analysed at 8 frames/s: it moves 25 px (its own
  /// width) between analysed frames and never overlaps its previous box.
  static func walkIn(frames: Int, startX: Double = 0, step: Double = 25) -> [FaceDetection] {
    (0..<frames).map { face(startX + Double($0) * step, 200, size: 24) }
  }

  @Test("a small face moving its own width per analysed frame is one track (motion association)")
  func walkingFaceIsOneTrack() {
    var config = ByteTrackConfig()
    config.frameRate = 8
    let tracker = ByteTracker(config: config)
    _ = tracker.update([Self.face(600, 50, size: 60)])  // a face at the shot's start
    var numbers: [Int] = []
    for detection in Self.walkIn(frames: 20) {
      numbers += tracker.update([Self.face(600, 50, size: 60), detection]).map(\.trackNumber)
    }
    #expect(Set(numbers) == [1, 2], "\(numbers)")
    #expect(numbers.filter { $0 == 2 }.count == 19, "confirmed on its second detection")
    // Without it, the walker never overlaps itself: no track is ever confirmed.
    config.motionGate = 0
    let iouOnly = ByteTracker(config: config)
    _ = iouOnly.update([Self.face(600, 50, size: 60)])
    let iouNumbers = Self.walkIn(frames: 20).flatMap { detection in
      iouOnly.update([Self.face(600, 50, size: 60), detection]).map(\.trackNumber)
    }
    #expect(Set(iouNumbers) == [1], "\(iouNumbers)")
  }

  @Test("a lost walker is picked up where its motion predicts, not by a new face at its old place")
  func motionFollowsPrediction() {
    var config = ByteTrackConfig()
    config.frameRate = 8
    let tracker = ByteTracker(config: config)
    var walker: [Int] = []
    var newcomer: [Int] = []
    for (index, detection) in Self.walkIn(frames: 12).enumerated() {
      // Missed twice; then a new face stands 10 px from its last box (inside the gate of that
      // box, 65 px from where the walker's motion puts it) for the rest of the shot.
      let other = Self.face(110, 200, size: 24)
      let seen = (5...6).contains(index) ? [] : index >= 7 ? [detection, other] : [detection]
      for assignment in tracker.update(seen) {
        if assignment.detection == detection { walker.append(assignment.trackNumber) }
        if assignment.detection == other { newcomer.append(assignment.trackNumber) }
      }
    }
    #expect(Set(walker).count == 1 && walker.count == 10, "\(walker)")
    #expect(Set(newcomer).count == 1 && !Set(newcomer).contains(walker.first ?? 0), "\(newcomer)")
  }

  @Test("a tracked face with a low-score detection keeps it; a neighbour's new face is not taken")
  func lowScoreBeforeMotion() {
    var config = ByteTrackConfig()
    config.frameRate = 8
    let tracker = ByteTracker(config: config)
    for _ in 0..<3 { _ = tracker.update([Self.face(100, 200, size: 24)]) }
    // Its own detection drops to 0.3; a new face 28 px away (inside the motion gate) appears.
    let own = Self.face(102, 200, size: 24, score: 0.3)
    let neighbour = Self.face(130, 200, size: 24)
    let assignments = tracker.update([own, neighbour])
    #expect(assignments.map(\.detection) == [own], "\(assignments)")
  }

  @Test("motion never pairs boxes of very different size or beyond the gate")
  func motionGateCost() {
    let box = [100.0, 100, 124, 124]
    #expect(MotionGate.cost(predicted: box, detected: box, gate: 1.5, maxScale: 1.5) == 0)
    let moved = [125.0, 100, 149, 124]
    let cost = MotionGate.cost(predicted: box, detected: moved, gate: 1.5, maxScale: 1.5)
    #expect(abs(cost - 25 / 36) < 1e-9)
    let far = [137.0, 100, 161, 124]
    #expect(MotionGate.cost(predicted: box, detected: far, gate: 1.5, maxScale: 1.5) == .infinity)
    let large = [100.0, 100, 140, 140]
    #expect(MotionGate.cost(predicted: box, detected: large, gate: 1.5, maxScale: 1.5) == .infinity)
  }
}
