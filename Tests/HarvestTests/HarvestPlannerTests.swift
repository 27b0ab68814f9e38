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

@Suite("Review faces and thumbnails")
struct ReviewThumbTests {
  typealias Picker = ReviewThumbPicker<String>

  @Test("every track with a usable box gets one review face, whatever the floors say")
  func reviewFacePerTrack() {
    let planner = HarvestPlannerTests.planner
    // Too small for any floor, too unsure for the probe floor: still the track's review face.
    let tiny = (0..<4).map {
      HarvestPlannerTests.detection(
        frame: 10 + $0, side: 6 + Double($0), conf: 0.3, track: "track-00002")
    }
    // Landmarks that give no alignment: the box alone is still the track's review face.
    var broken = HarvestPlannerTests.detection(frame: 3, track: "track-00003")
    broken.landmarks = Array(repeating: 0.4, count: 10)
    var nowhere = HarvestPlannerTests.detection(frame: 4, track: "track-00004")
    nowhere.bbox = [0.5, 0.5, 0.5, 0.5]
    let good = [
      HarvestPlannerTests.detection(frame: 20, side: 90, track: "track-00001"),
      HarvestPlannerTests.detection(frame: 30, side: 150, track: "track-00001"),
      HarvestPlannerTests.detection(frame: 40, side: 150, track: "track-00001"),
    ]
    let plan = planner.plan(
      detectionsByTrack: [
        "track-00001": good, "track-00002": tiny, "track-00003": [broken], "track-00004": [nowhere],
      ],
      frameSpans: [:])
    #expect(!plan.faces.contains { $0.isReview } && !plan.probes.contains { $0.isReview })
    let review = Dictionary(uniqueKeysWithValues: plan.reviewFaces.map { ($0.trackID, $0) })
    #expect(review.keys.sorted() == ["track-00001", "track-00002", "track-00003"])
    #expect(review["track-00003"]?.landmarkPoints.isEmpty == true)
    // A box with landmarks ranks before a bigger box without.
    var unaligned = HarvestPlannerTests.detection(frame: 50, side: 300, track: "track-00001")
    unaligned.landmarks = Array(repeating: 0.4, count: 10)
    let mixed = planner.plan(
      detectionsByTrack: ["track-00001": good + [unaligned]], frameSpans: [:])
    #expect(mixed.reviewFaces.map(\.frameIndex) == [30])
    // Best pre-crop quality, the earlier frame among equals; the largest of the tiny ones.
    #expect(review["track-00001"]?.frameIndex == 30)
    #expect(review["track-00002"]?.frameIndex == 13)
    #expect(plan.reviewFaces.allSatisfy { $0.isReview })
    // The plan made track by track (the one-decode run) holds the same review faces.
    let merged = HarvestPlanner.merged(
      Dictionary(
        uniqueKeysWithValues: [
          ("track-00001", good), ("track-00002", tiny), ("track-00003", [broken]),
        ].map { id, rows in
          (id, planner.plan(detectionsByTrack: [id: rows], frameSpans: [:]))
        }))
    #expect(merged.reviewFaces.map(\.frameIndex) == plan.reviewFaces.map(\.frameIndex))
  }

  @Test("a track keeps its best thumbnails: defining faces, then probes, then its detection")
  func pickerRanks() {
    var picker = Picker(perTrack: 3)
    picker.offer(.init(frameIndex: 50, kind: .detection, score: 0.99, picture: "d50"), track: "a")
    picker.offer(.init(frameIndex: 10, kind: .probe, score: 0.2, picture: "p10"), track: "a")
    picker.offer(.init(frameIndex: 20, kind: .defining, score: 0.7, picture: "f20"), track: "a")
    picker.offer(.init(frameIndex: 30, kind: .defining, score: 0.9, picture: "f30"), track: "a")
    picker.offer(.init(frameIndex: 40, kind: .probe, score: 0.8, picture: "p40"), track: "a")
    picker.offer(.init(frameIndex: 5, kind: .detection, score: 0.5, picture: "d5"), track: "b")
    #expect(picker.openTracks == ["a", "b"])
    // In frame order, the best three by kind then score.
    #expect(picker.take(track: "a").map(\.picture) == ["f20", "f30", "p40"])
    #expect(picker.take(track: "a").isEmpty)
    #expect(picker.take(track: "b").map(\.picture) == ["d5"])
    #expect(picker.openTracks.isEmpty)
  }

  @Test("one thumbnail per frame, of its better kind; zero per track keeps none")
  func pickerFrames() {
    var picker = Picker(perTrack: 2)
    picker.offer(.init(frameIndex: 7, kind: .detection, score: 0.9, picture: "d7"), track: "a")
    picker.offer(.init(frameIndex: 7, kind: .defining, score: 0.1, picture: "f7"), track: "a")
    picker.offer(.init(frameIndex: 7, kind: .probe, score: 0.9, picture: "p7"), track: "a")
    #expect(picker.take(track: "a").map(\.picture) == ["f7"])
    var none = Picker(perTrack: 0)
    none.offer(.init(frameIndex: 1, kind: .defining, score: 1, picture: "f1"), track: "a")
    #expect(none.take(track: "a").isEmpty && none.openTracks.isEmpty)
  }

  @Test("a review face that shows no face is shown in its surroundings; a blank one not at all")
  func reviewPicture() throws {
    // A flat grey frame with a textured patch around the face box: the alignment (inside the
    // box) is blank, the context square is not.
    var image = BGRImage(width: 320, height: 240)
    for y in 0..<240 {
      for x in 0..<320 {
        let offset = y * image.rowStride + x * 3
        let textured = (x < 110 || x > 210) && y > 40 && y < 200
        let value: UInt8 = textured ? UInt8((x * 7 + y * 13) % 256) : 128
        image.pixels[offset] = value
        image.pixels[offset + 1] = value
        image.pixels[offset + 2] = value
      }
    }
    let planner = HarvestPlanner(config: HarvestConfig(), frameWidth: 320, frameHeight: 240)
    let scale = 60.0 / 112
    let landmarks: [Double] = ArcFaceTemplate.points112.flatMap { point -> [Double] in
      let x: Double = (130 + point.x * scale) / 320
      let y: Double = (90 + point.y * scale) / 240
      return [x, y]
    }
    let row = Detection(
      epID: "test", frameIndex: 0, timestamp: 0, bbox: [130 / 320, 90 / 240, 190 / 320, 150 / 240],
      landmarks: landmarks, conf: 0.9, modelID: "test", trackID: "track-00001")
    let face = try #require(planner.reviewCandidate(row, trackID: "track-00001"))
    let picture = try #require(ReviewPicture.make(face, in: image))
    #expect(picture.width == ReviewPicture.side && picture.height == ReviewPicture.side)
    #expect(picture != FaceCrops(reviewOf: face.landmarkPoints, in: image).blur)
    // A box without usable landmarks is shown the same way.
    var boxOnly = face
    boxOnly.landmarkPoints = []
    #expect(
      ReviewPicture.make(boxOnly, in: image) == ReviewPicture.context(of: face.bbox, in: image))
    #expect(ReviewPicture.make(boxOnly, in: image) != nil)
    let flat = BGRImage(
      width: 320, height: 240, pixels: [UInt8](repeating: 128, count: 320 * 240 * 3))
    #expect(ReviewPicture.make(face, in: flat) == nil)
    // The crop under it: intersected with the image, its rows copied.
    let corner = try #require(image.cropped(x: -10, y: 45, width: 20, height: 3))
    #expect(corner.width == 10 && corner.height == 3)
    #expect(corner.pixel(x: 4, y: 1) == image.pixel(x: 4, y: 46))
    #expect(image.cropped(x: 320, y: 0, width: 5, height: 5) == nil)
  }
}
