import FaceAlignment
import FaceHarvestCore
import Foundation
import Inference
import Media

/// The YuNet face detector (OpenCV Zoo, folded to float32 by set-up): one anchor per cell at
/// strides 8, 16 and 32, outputs `cls_*`, `obj_*` (sigmoid), `bbox_*` (centre offsets in cells,
/// log size) and `kps_*` (five points in cells). The frame is letterboxed into the model's
/// square input, raw BGR 0–255.
struct YuNetLayout: DetectorOutputLayout {
  private let indices: [String: Int]
  private static let strides = [8, 16, 32]
  /// Non-maximum suppression IoU (OpenCV's default for YuNet).
  static let nmsThreshold = 0.3

  /// The outputs of `model`; a model without YuNet's is refused with the list of outputs it
  /// must have.
  init(_ model: DetectorSession) throws {
    let session = model.session
    let expected = Self.strides.flatMap { stride in
      ["cls", "obj", "bbox", "kps"].map { "\($0)_\(stride)" }
    }
    guard let indices = model.outputIndices(expected), session.inputs.count == 1 else {
      throw InferenceError.unexpectedModelLayout(
        path: session.modelPath,
        reason: "a YuNet detector has one image input and the outputs "
          + "\(expected.joined(separator: ", ")); this model has \(session.outputs)")
    }
    self.indices = indices
  }

  func faces(in outputs: DetectorSession.Outputs, scoreThreshold: Double) -> [FaceDetection] {
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
    return detections
  }
}
