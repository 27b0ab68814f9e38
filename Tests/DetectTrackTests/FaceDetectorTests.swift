import Artifacts
import FaceAlignment
import FaceHarvestCore
import Foundation
import Inference
import Logging
import Media
import Testing

@testable import DetectTrack

enum DetectTestEnvironment {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static var manifestURL: URL {
    let deps = ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"].flatMap {
      $0.isEmpty ? nil : $0
    }
    return URL(fileURLWithPath: deps ?? repositoryRoot.appendingPathComponent(".deps").path)
      .appendingPathComponent("models/manifest.json")
  }
  static let data = repositoryRoot.appendingPathComponent("data")
}

@Suite("Face detectors", .serialized)
struct FaceDetectorTests {
  struct Truth {
    let box: [Double]
    let landmarks: [Point2D]
    let visible: Double
  }

  @Test(
    "on the sample episode: recall and precision ≥ 0.95 at IoU 0.5, landmarks within 5%",
    arguments: ["yunet", "scrfd"])
  func accuracyOnSample(model: String) throws {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    let detector = try DetectorFamily.load(named: model, from: manifest)
    #expect(detector.entry.name == model)
    let truthURL = DetectTestEnvironment.data.appendingPathComponent(
      "ground_truth/sample-s01e01/ground_truth.jsonl")
    var truth: [Int: [Truth]] = [:]
    for line in try String(contentsOf: truthURL, encoding: .utf8).split(separator: "\n") {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let frame = try #require(object["frame_idx"] as? Int)
      let box = try #require(object["bbox_px"] as? [Double])
      let points = try #require(object["landmarks_px"] as? [Double])
      let visible = try #require(object["visible_fraction"] as? Double)
      truth[frame, default: []].append(
        Truth(
          box: box,
          landmarks: stride(from: 0, to: 10, by: 2).map {
            Point2D(x: points[$0], y: points[$0 + 1])
          },
          visible: visible))
    }
    let frames = Set(stride(from: 0, to: 500, by: 10))
    var eligible = 0
    var found = 0
    var detections = 0
    var trueDetections = 0
    var landmarkErrors: [Double] = []
    try FrameSource(
      url: DetectTestEnvironment.data.appendingPathComponent("videos/sample-s01e01/episode.mp4")
    ).forEach(.only(frames)) { frame in
      let image = frame.image
      let faces = try detector.detect(image, scoreThreshold: 0.5)
      let expected = truth[frame.index] ?? []
      detections += faces.count
      trueDetections +=
        faces.filter { face in
          expected.contains { intersectionOverUnion($0.box, face.box) >= 0.5 }
        }.count
      for face in expected
      where face.visible >= 0.9 && min(face.box[2] - face.box[0], face.box[3] - face.box[1]) >= 40 {
        eligible += 1
        guard
          let match = faces.max(by: {
            intersectionOverUnion($0.box, face.box) < intersectionOverUnion($1.box, face.box)
          }), intersectionOverUnion(match.box, face.box) >= 0.5
        else { continue }
        found += 1
        let size = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        let error =
          zip(match.landmarks, face.landmarks).map { hypot($0.x - $1.x, $0.y - $1.y) }
          .reduce(0, +) / 5
        landmarkErrors.append(error / size)
      }
      return true
    }
    try #require(eligible >= 50)
    let recall = Double(found) / Double(eligible)
    let precision = Double(trueDetections) / Double(max(1, detections))
    #expect(recall >= 0.95, "recall \(recall) (\(found)/\(eligible))")
    #expect(precision >= 0.95, "precision \(precision)")
    let median = landmarkErrors.sorted()[landmarkErrors.count / 2]
    #expect(median < 0.05, "median landmark error \(median) of the face size")
  }

  @Test(
    "the shipped detectors take the frame's shape: 1280×720 runs at 640×352, not a 640×640 square",
    arguments: ["yunet", "scrfd"])
  func frameShapedInput(model: String) throws {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    let session = try DetectorSession(
      manifest: manifest, entry: try manifest.entry(named: model), intraOpThreads: 1,
      logger: Logger(label: "test"))
    #expect(session.hasDynamicSize)
    // Each side rounded to the nearest multiple of 32: 360 → 352, 720 → 736 at twice the size.
    let wide = session.inputSize(frameWidth: 1280, frameHeight: 720)
    #expect(wide.input == (640, 352) && wide.scaled == (640, 352))
    let tall = session.inputSize(frameWidth: 720, frameHeight: 1280)
    #expect(tall.input == (352, 640) && tall.scaled == (352, 640))
    let small = session.inputSize(frameWidth: 320, frameHeight: 240)
    #expect(small.input == (640, 480) && small.scaled == (640, 480))
    let enlarged = session.inputSize(frameWidth: 1280, frameHeight: 720, inputScale: 2)
    #expect(enlarged.input == (1280, 736))
    // A frame runs at that size and its outputs cover the 640×352 grid.
    let outputs = try session.run([BGRImage(width: 1280, height: 720)])
    #expect(outputs.count == 1 && outputs[0].inputWidth == 640 && outputs[0].inputHeight == 352)
    #expect(outputs[0].scaleX == 0.5 && outputs[0].scaleY == 352.0 / 720)
  }

  @Test("a model without YuNet's outputs is refused, naming the outputs it needs")
  func wrongLayout() throws {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    var entry = try manifest.entry(named: "sface")
    entry.role = .detector
    #expect {
      try SessionFaceDetector(family: .yunet, manifest: manifest, entry: entry)
    } throws: { error in
      "\(error)".contains("cls_8") && "\(error)".contains("sface.onnx")
    }
  }

  @Test("a model without the SCRFD layout is refused, naming the outputs it needs")
  func wrongLayoutSCRFD() throws {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    let entry = try manifest.entry(named: "yunet")
    #expect {
      try SessionFaceDetector(family: .scrfd, manifest: manifest, entry: entry)
    } throws: { error in
      "\(error)".contains("score_8") && "\(error)".contains("kps_32")
        && "\(error)".contains("yunet.onnx")
    }
    #expect(throws: (any Error).self) {
      try DetectorFamily.load(named: "sface", from: manifest)
    }
  }

  @Test("both detectors agree on the same frame's faces")
  func detectorsAgree() throws {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    let yunet = try DetectorFamily.load(named: "yunet", from: manifest)
    let scrfd = try DetectorFamily.load(named: "scrfd", from: manifest)
    var checked = 0
    try FrameSource(
      url: DetectTestEnvironment.data.appendingPathComponent("videos/sample-s01e01/episode.mp4")
    ).forEach(.only([5, 130, 300])) { frame in
      let image = frame.image
      let a = try yunet.detect(image, scoreThreshold: 0.6)
      let b = try scrfd.detect(image, scoreThreshold: 0.5)
      #expect(a.count == b.count, "frame \(frame.index): \(a.count) vs \(b.count) faces")
      for face in a {
        #expect(b.contains { intersectionOverUnion($0.box, face.box) > 0.6 })
      }
      checked += 1
      return true
    }
    #expect(checked == 3)
  }

  @Test("non-maximum suppression keeps the best of overlapping boxes")
  func suppression() {
    let point = Point2D(x: 0, y: 0)
    let boxes = [
      FaceDetection(box: [0, 0, 10, 10], landmarks: [point], score: 0.9),
      FaceDetection(box: [1, 1, 11, 11], landmarks: [point], score: 0.95),
      FaceDetection(box: [50, 50, 60, 60], landmarks: [point], score: 0.7),
    ]
    let kept = nonMaximumSuppression(boxes, threshold: 0.3)
    #expect(kept.map(\.score) == [0.95, 0.7])
    #expect(abs(intersectionOverUnion([0, 0, 10, 10], [5, 0, 15, 10]) - 1.0 / 3) < 1e-12)
  }
}
