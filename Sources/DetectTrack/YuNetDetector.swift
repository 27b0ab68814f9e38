import FaceAlignment
public import FaceHarvestCore
import Foundation
public import Inference
public import Logging
import Media

/// The YuNet face detector (OpenCV Zoo, folded to float32 by set-up): one anchor per cell at
/// strides 8, 16 and 32, outputs `cls_*`, `obj_*` (sigmoid), `bbox_*` (centre offsets in cells,
/// log size) and `kps_*` (five points in cells). The frame is letterboxed into the model's
/// square input, raw BGR 0–255.
public final class YuNetDetector: FaceDetector, Sendable {
  /// The manifest entry.
  public let entry: ModelEntry
  private let model: DetectorSession
  private let indices: [String: Int]
  private static let strides = [8, 16, 32]
  /// Non-maximum suppression IoU (OpenCV's default for YuNet).
  public let nmsThreshold = 0.3

  /// Loads `entry` (SHA-256 checked); a model without YuNet's outputs is refused with the list
  /// of outputs it must have.
  public init(
    manifest: ModelManifest, entry: ModelEntry, intraOpThreads: Int = 0,
    logger: Logger = Logger(label: "faceharvest.detect")
  ) throws {
    let model = try DetectorSession(
      manifest: manifest, entry: entry, intraOpThreads: intraOpThreads, logger: logger)
    let session = model.session
    let expected = Self.strides.flatMap { stride in
      ["cls", "obj", "bbox", "kps"].map { "\($0)_\(stride)" }
    }
    self.model = model
    guard let indices = model.outputIndices(expected), session.inputs.count == 1 else {
      throw InferenceError.unexpectedModelLayout(
        path: session.modelPath,
        reason: "a YuNet detector has one image input and the outputs "
          + "\(expected.joined(separator: ", ")); this model has \(session.outputs)")
    }
    self.entry = entry
    self.indices = indices
  }

  /// Frames per model run.
  public var maximumBatch: Int { model.maximumBatch }

  /// Faces in each image (see `FaceDetector`).
  public func detect(_ images: [BGRImage], scoreThreshold: Double, inputScale: Double) throws
    -> [[FaceDetection]]
  {
    try model.run(images, inputScale: inputScale).map { decode($0, scoreThreshold: scoreThreshold) }
  }

  /// Whether `inputScale` can enlarge the input (see `FaceDetector`).
  public var acceptsLargerInput: Bool { model.hasDynamicSize }

  private func decode(_ outputs: DetectorSession.Outputs, scoreThreshold: Double)
    -> [FaceDetection]
  {
    let (scaleX, scaleY) = (outputs.scaleX, outputs.scaleY)
    var detections: [FaceDetection] = []
    for stride in Self.strides {
      let cls = outputs.values[indices["cls_\(stride)"]!]
      let obj = outputs.values[indices["obj_\(stride)"]!]
      let bbox = outputs.values[indices["bbox_\(stride)"]!]
      let kps = outputs.values[indices["kps_\(stride)"]!]
      let columns = outputs.inputWidth / stride
      let cells = min(cls.count, obj.count, bbox.count / 4, kps.count / 10)
      let (clsBase, objBase, bboxBase, kpsBase) = (
        cls.startIndex, obj.startIndex, bbox.startIndex, kps.startIndex
      )
      for cell in 0..<cells {
        let score =
          (Double(min(1, max(0, cls[clsBase + cell])))
          * Double(min(1, max(0, obj[objBase + cell])))).squareRoot()
        guard score >= scoreThreshold else { continue }
        let column = Double(cell % columns)
        let row = Double(cell / columns)
        let s = Double(stride)
        let box = bboxBase + cell * 4
        let centreX = (column + Double(bbox[box])) * s
        let centreY = (row + Double(bbox[box + 1])) * s
        let width = exp(Double(bbox[box + 2])) * s
        let height = exp(Double(bbox[box + 3])) * s
        let points = (0..<5).map { point in
          Point2D(
            x: (column + Double(kps[kpsBase + cell * 10 + point * 2])) * s / scaleX,
            y: (row + Double(kps[kpsBase + cell * 10 + point * 2 + 1])) * s / scaleY)
        }
        detections.append(
          FaceDetection(
            box: [
              (centreX - width / 2) / scaleX, (centreY - height / 2) / scaleY,
              (centreX + width / 2) / scaleX, (centreY + height / 2) / scaleY,
            ],
            landmarks: points.imageOrdered(), score: score))
      }
    }
    return nonMaximumSuppression(detections, threshold: nmsThreshold)
  }
}
