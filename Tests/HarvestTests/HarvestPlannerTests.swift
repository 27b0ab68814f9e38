import Artifacts
import FaceAlignment
import FaceHarvestCore
import FaceQuality
import Testing

@testable import Harvest

@Suite("Harvest planner gates")
struct HarvestPlannerTests {
  static let width = 1280
  static let height = 720

  /// A frontal face: the ArcFace template scaled so the box is `side` pixels, at (x, y).
  static func detection(
    frame: Int = 10, x: Double = 400, y: Double = 200, side: Double = 150, conf: Double = 0.95,
    track: String = "track-00001"
  ) -> Detection {
    let scale = side / 112
    let points = ArcFaceTemplate.points112.flatMap { point in
      [(x + point.x * scale) / Double(width), (y + point.y * scale) / Double(height)]
    }
    return Detection(
      epID: "test", frameIndex: frame, timestamp: Double(frame) / 25,
      bbox: [
        x / Double(width), y / Double(height), (x + side) / Double(width),
        (y + side) / Double(height),
      ],
      landmarks: points, conf: conf, modelID: "test", trackID: track)
  }

  static let planner = HarvestPlanner(
    config: HarvestConfig(), frameWidth: width, frameHeight: height)

  func reason(_ detection: Detection, planner: HarvestPlanner = planner) -> RejectionReason? {
    switch planner.gate(detection, trackID: detection.trackID ?? "") {
    case .success: return nil
    case .failure(let failure): return failure.face.reason
    }
  }

  @Test("a good frontal face passes with a high pre-crop quality")
  func goodFace() throws {
    let face = try Self.planner.gate(Self.detection(), trackID: "track-00001").get()
    #expect(abs(face.pose.yaw) < 1 && abs(face.pose.pitch) < 1)
    #expect(abs(face.shortSide - 150) < 1e-6)
    #expect(face.preCropQuality.value > 0.9)
  }

  @Test("each pre-crop gate rejects with its reason")
  func reasons() {
    #expect(reason(Self.detection(conf: 0.5)) == .lowConfidence)
    #expect(reason(Self.detection(side: 40)) == .tooSmall)
    // A small box at the frame edge is out of bounds rather than small.
    #expect(reason(Self.detection(x: 1280 - 40, side: 40)) == .bboxOutOfBounds)
    var nanLandmarks = Self.detection()
    nanLandmarks.landmarks[3] = .nan
    #expect(reason(nanLandmarks) == .invalidLandmarks)
    var shortLandmarks = Self.detection()
    shortLandmarks.landmarks.removeLast()
    #expect(reason(shortLandmarks) == .invalidLandmarks)
    var farLandmarks = Self.detection()
    farLandmarks.landmarks = farLandmarks.landmarks.enumerated().map { $0 % 2 == 0 ? $1 + 0.5 : $1 }
    #expect(reason(farLandmarks) == .invalidLandmarks)
    var collapsed = Self.detection()
    collapsed.landmarks = Array(repeating: 0.4, count: 10)
    #expect(reason(collapsed) == .invalidLandmarks)
  }

  @Test("a turned head is rejected as pose_too_extreme only when pose checking is on")
  func pose() {
    var turned = Self.detection()
    // Move the nose far toward the image right: a strong yaw.
    turned.landmarks[4] += 45.0 / Double(Self.width)
    #expect(reason(turned) == .poseTooExtreme)
    var config = HarvestConfig()
    config.checkPoseQuality = false
    let lenient = HarvestPlanner(config: config, frameWidth: Self.width, frameHeight: Self.height)
    #expect(reason(turned, planner: lenient) == nil)
  }

  @Test("planning samples each track and reports the cap")
  func planCapsTracks() {
    var config = HarvestConfig()
    config.maxCropsPerTrack = 3
    config.sampleInterval = 5
    let planner = HarvestPlanner(config: config, frameWidth: Self.width, frameHeight: Self.height)
    let first = (0..<40).map { Self.detection(frame: $0, track: "track-00001") }
    let second = (0..<10).map { Self.detection(frame: $0, x: 800, track: "track-00002") }
    let plan = planner.plan(
      detectionsByTrack: ["track-00001": first, "track-00002": second],
      frameSpans: ["track-00001": 0...39, "track-00002": 0...9])
    let perTrack = Dictionary(grouping: plan.faces, by: \.trackID).mapValues(\.count)
    #expect(perTrack["track-00001"] == 3)
    #expect(perTrack["track-00002"] == 2)
    #expect(plan.faces.map(\.frameIndex) == plan.faces.map(\.frameIndex).sorted())
    #expect(plan.faces.map(\.id) == Array(0..<plan.faces.count))
    // 40 frames at interval 5 → 8 spaced candidates, 3 kept, 5 capped.
    #expect(
      plan.rejected.filter { $0.reason == .trackCap && $0.trackID == "track-00001" }.count == 5)
  }
}
