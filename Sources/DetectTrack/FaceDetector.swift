import Artifacts
import FaceAlignment
import Foundation
import Inference
import Logging
import Media

/// One detected face in frame pixels.
public struct FaceDetection: Sendable, Equatable {
  /// `[x1, y1, x2, y2]` in frame pixels.
  public var box: [Double]
  /// Five landmarks in frame pixels: left eye, right eye, nose, left and right mouth corners
  /// ("left" is the image-left point).
  public var landmarks: [Point2D]
  /// Detector confidence in [0, 1].
  public var score: Double

  /// Creates a detection.
  public init(box: [Double], landmarks: [Point2D], score: Double) {
    self.box = box
    self.landmarks = landmarks
    self.score = score
  }
}

/// Greedy non-maximum suppression: highest score first, dropping boxes that overlap a kept one
/// by more than `threshold` IoU.
public func nonMaximumSuppression(_ detections: [FaceDetection], threshold: Double)
  -> [FaceDetection]
{
  var kept: [FaceDetection] = []
  for detection in detections.sorted(by: { $0.score > $1.score })
  where !kept.contains(where: { intersectionOverUnion($0.box, detection.box) > threshold }) {
    kept.append(detection)
  }
  return kept
}

/// A face detector: an ONNX model with its own pre- and post-processing. Boxes and landmarks
/// come back in frame pixels, landmarks in the artifacts' order (image-left point first).
public protocol FaceDetector: AnyObject, Sendable {
  /// The manifest entry of the model (its name is the `model_id` of each detection).
  var entry: ModelEntry { get }
  /// Frames one model run can take (1 for a model with a fixed batch dimension).
  var maximumBatch: Int { get }
  /// Faces in each image with a score of at least `scoreThreshold`, after non-maximum
  /// suppression, highest score first.
  func detect(_ images: [BGRImage], scoreThreshold: Double) throws -> [[FaceDetection]]
}

extension FaceDetector {
  /// Faces in one image (see `detect(_:scoreThreshold:)`).
  public func detect(_ image: BGRImage, scoreThreshold: Double = 0.5) throws -> [FaceDetection] {
    try detect([image], scoreThreshold: scoreThreshold)[0]
  }
}

/// The detector families this library decodes.
public enum DetectorFamily: String, Sendable, CaseIterable {
  /// OpenCV Zoo's YuNet.
  case yunet
  /// InsightFace's SCRFD / RetinaFace layout (score, bbox, kps per stride, anchors per cell).
  case scrfd

  /// Loads the detector the manifest entry `name` describes, by its `family`.
  public static func load(
    named name: String, from manifest: ModelManifest, intraOpThreads: Int = 0,
    logger: Logger = Logger(label: "faceharvest.detect")
  ) throws -> any FaceDetector {
    let entry = try manifest.entry(named: name)
    guard entry.role == .detector else {
      throw InferenceError.unexpectedModelLayout(
        path: manifest.fileURL(for: entry).path,
        reason: "manifest entry \(name) is a \(entry.role.rawValue), not a detector")
    }
    switch DetectorFamily(rawValue: entry.family) {
    case .yunet:
      return try YuNetDetector(
        manifest: manifest, entry: entry, intraOpThreads: intraOpThreads, logger: logger)
    case .scrfd:
      return try SCRFDDetector(
        manifest: manifest, entry: entry, intraOpThreads: intraOpThreads, logger: logger)
    case nil:
      throw InferenceError.unexpectedModelLayout(
        path: manifest.fileURL(for: entry).path,
        reason:
          "detector family \"\(entry.family)\" is not one of "
          + DetectorFamily.allCases.map(\.rawValue).joined(separator: ", "))
    }
  }
}

/// A detector model fed letterboxed frames: each frame is scaled, aspect kept, into the
/// top-left corner of the model's input and the rest is black (as InsightFace and OpenCV do).
/// Runs frames in one batch when the model's batch dimension is dynamic.
struct LetterboxSession: Sendable {
  /// One frame's model outputs, in the session's output order, with the batch split off.
  struct Outputs {
    /// Output values per output index.
    var values: [ArraySlice<Float>]
    /// Input pixels per frame pixel.
    var scale: Double
  }

  let session: OrtInferenceSession
  let entry: ModelEntry

  /// Loads `entry`'s model (SHA-256 checked).
  init(manifest: ModelManifest, entry: ModelEntry, intraOpThreads: Int, logger: Logger) throws {
    session = try OrtInferenceSession(
      modelURL: try manifest.verifiedFileURL(for: entry), intraOpThreads: intraOpThreads,
      logger: logger)
    self.entry = entry
  }

  var maximumBatch: Int { (session.inputs.first?.dimensions.first ?? 1) < 0 ? 8 : 1 }

  /// The index of each output named in `names`, or nil when one is missing.
  func outputIndices(_ names: [String]) -> [String: Int]? {
    var indices: [String: Int] = [:]
    for name in names {
      guard let index = session.outputs.firstIndex(where: { $0.name == name }) else { return nil }
      indices[name] = index
    }
    return indices
  }

  func run(_ images: [BGRImage]) throws -> [Outputs] {
    guard !images.isEmpty else { return [] }
    let side = (width: entry.inputWidth, height: entry.inputHeight)
    var inputs: [BGRImage] = []
    var scales: [Double] = []
    for image in images {
      let scale = min(
        Double(side.width) / Double(image.width), Double(side.height) / Double(image.height))
      // Output pixel x samples source (x + 0.5) / scale − 0.5 (pixel centres, as cv2.resize).
      let inverse = SimilarityTransform(
        a: 1 / scale, b: 0, tx: 0.5 / scale - 0.5, ty: 0.5 / scale - 0.5)
      inputs.append(
        FaceAligner.warp(image, inverse: inverse, width: side.width, height: side.height))
      scales.append(scale)
    }
    var results: [Outputs] = []
    for start in stride(from: 0, to: inputs.count, by: maximumBatch) {
      let chunk = Array(inputs[start..<min(inputs.count, start + maximumBatch)])
      let outputs = try session.run(try entry.inputTensor(for: chunk))
      for offset in chunk.indices {
        let values = outputs.map { tensor -> ArraySlice<Float> in
          let perImage = tensor.values.count / chunk.count
          return tensor.values[offset * perImage..<(offset + 1) * perImage]
        }
        results.append(Outputs(values: values, scale: scales[start + offset]))
      }
    }
    return results
  }
}

extension Array where Element == Point2D {
  /// The five points with each left/right pair in image order (image-left point first), as the
  /// artifacts define them.
  func imageOrdered() -> [Point2D] {
    var points = self
    if points[0].x > points[1].x { points.swapAt(0, 1) }
    if points[3].x > points[4].x { points.swapAt(3, 4) }
    return points
  }
}
