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

/// Intersection over union of two `[x1, y1, x2, y2]` boxes.
public func intersectionOverUnion(_ a: [Double], _ b: [Double]) -> Double {
  let width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
  let height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
  let intersection = width * height
  let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
  return union > 0 ? intersection / union : 0
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

/// The YuNet face detector (OpenCV Zoo, folded to float32 by set-up): one anchor per cell at
/// strides 8, 16 and 32, outputs `cls_*`, `obj_*` (sigmoid), `bbox_*` (centre offsets in cells,
/// log size) and `kps_*` (five points in cells). The frame is letterboxed into the model's
/// square input, raw BGR 0–255.
public final class YuNetDetector: @unchecked Sendable {
  /// The manifest entry.
  public let entry: ModelEntry
  private let session: OrtInferenceSession
  private static let strides = [8, 16, 32]

  /// Loads `entry` (SHA-256 checked); a model without YuNet's outputs is refused with the list
  /// of outputs it must have.
  public init(
    manifest: ModelManifest, entry: ModelEntry, intraOpThreads: Int = 0,
    logger: Logger = Logger(label: "faceharvest.detect")
  ) throws {
    let session = try OrtInferenceSession(
      modelURL: try manifest.verifiedFileURL(for: entry), intraOpThreads: intraOpThreads,
      logger: logger)
    let expected = Self.strides.flatMap { stride in
      ["cls", "obj", "bbox", "kps"].map { "\($0)_\(stride)" }
    }
    let names = Set(session.outputs.map(\.name))
    guard expected.allSatisfy(names.contains), session.inputs.count == 1 else {
      throw InferenceError.unexpectedModelLayout(
        path: session.modelPath,
        reason: "a YuNet detector has one image input and the outputs "
          + "\(expected.joined(separator: ", ")); this model has \(session.outputs)")
    }
    self.entry = entry
    self.session = session
  }

  /// Faces in `image` with a score of at least `scoreThreshold`, after NMS at `nmsThreshold`,
  /// highest score first.
  public func detect(
    _ image: BGRImage, scoreThreshold: Double = 0.6, nmsThreshold: Double = 0.3
  ) throws -> [FaceDetection] {
    let side = entry.inputWidth
    let scale = Double(side) / Double(max(image.width, image.height))
    // Letterbox: the frame scaled into the top-left corner, black elsewhere. Output pixel x
    // samples source (x + 0.5) / scale − 0.5 (pixel centres, as cv2.resize does).
    let inverse = SimilarityTransform(
      a: 1 / scale, b: 0, tx: 0.5 / scale - 0.5, ty: 0.5 / scale - 0.5)
    let input = FaceAligner.warp(image, inverse: inverse, width: side, height: entry.inputHeight)
    let outputs = try session.run(tensor(input))
    var byName: [String: Tensor] = [:]
    for (signature, tensor) in zip(session.outputs, outputs) { byName[signature.name] = tensor }

    var detections: [FaceDetection] = []
    for stride in Self.strides {
      guard let cls = byName["cls_\(stride)"], let obj = byName["obj_\(stride)"],
        let bbox = byName["bbox_\(stride)"], let kps = byName["kps_\(stride)"]
      else { continue }
      let columns = side / stride
      for cell in 0..<cls.values.count {
        let score =
          (Double(min(1, max(0, cls.values[cell]))) * Double(min(1, max(0, obj.values[cell]))))
          .squareRoot()
        guard score >= scoreThreshold else { continue }
        let column = Double(cell % columns)
        let row = Double(cell / columns)
        let s = Double(stride)
        let centreX = (column + Double(bbox.values[cell * 4])) * s
        let centreY = (row + Double(bbox.values[cell * 4 + 1])) * s
        let width = exp(Double(bbox.values[cell * 4 + 2])) * s
        let height = exp(Double(bbox.values[cell * 4 + 3])) * s
        var points = (0..<5).map { point in
          Point2D(
            x: (column + Double(kps.values[cell * 10 + point * 2])) * s / scale,
            y: (row + Double(kps.values[cell * 10 + point * 2 + 1])) * s / scale)
        }
        // The artifacts' order puts the image-left point of each pair first.
        if points[0].x > points[1].x { points.swapAt(0, 1) }
        if points[3].x > points[4].x { points.swapAt(3, 4) }
        detections.append(
          FaceDetection(
            box: [
              (centreX - width / 2) / scale, (centreY - height / 2) / scale,
              (centreX + width / 2) / scale, (centreY + height / 2) / scale,
            ],
            landmarks: points, score: score))
      }
    }
    return nonMaximumSuppression(detections, threshold: nmsThreshold)
  }

  private func tensor(_ image: BGRImage) -> Tensor {
    let plane = image.width * image.height
    var values = [Float](repeating: 0, count: 3 * plane)
    let sourceChannel = entry.colourOrder == .rgb ? [2, 1, 0] : [0, 1, 2]
    image.pixels.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { destination in
        for channel in 0..<3 {
          let offset = sourceChannel[channel]
          let mean = entry.mean[channel]
          let factor = 1 / entry.std[channel]
          for pixel in 0..<plane {
            destination[channel * plane + pixel] =
              (Float(source[pixel * 3 + offset]) - mean) * factor
          }
        }
      }
    }
    return Tensor(shape: [1, 3, image.height, image.width], values: values)
  }
}
