import FaceAlignment
import FaceHarvestCore
import Foundation
import Inference
import Media

/// The SCRFD / RetinaFace family in InsightFace's export layout: for each stride 8, 16 and 32 a
/// score output (N×1, sigmoid applied), a box output (N×4: distances left, top, right, bottom
/// in strides from the anchor centre) and a landmark output (N×10: offsets in strides), with
/// N = cells × anchors per cell (two for SCRFD). Outputs are found by the names `score_8`,
/// `bbox_8`, `kps_8`, … or, in exports with numeric names, by InsightFace's order (three
/// scores, three boxes, three landmark sets). RGB input, (x − 127.5) / 128 by the manifest.
struct SCRFDLayout: DetectorOutputLayout {
  /// Output index of (score, bbox, kps) for each stride.
  private let layout: [(stride: Int, score: Int, box: Int, landmarks: Int)]
  private static let strides = [8, 16, 32]
  /// Non-maximum suppression IoU (InsightFace's default).
  static let nmsThreshold = 0.4

  /// The outputs of `model`; a model without the layout is refused, naming the outputs it
  /// must have.
  init(_ model: DetectorSession) throws {
    let session = model.session
    let named = Self.strides.flatMap { stride in
      ["score", "bbox", "kps"].map { "\($0)_\(stride)" }
    }
    var layout: [(stride: Int, score: Int, box: Int, landmarks: Int)] = []
    if let indices = model.outputIndices(named) {
      layout = Self.strides.map {
        ($0, indices["score_\($0)"]!, indices["bbox_\($0)"]!, indices["kps_\($0)"]!)
      }
    } else if session.outputs.count == 9 {
      layout = Self.strides.enumerated().map { ($1, $0, $0 + 3, $0 + 6) }
    }
    let widths = layout.map {
      [$0.score, $0.box, $0.landmarks].map { session.outputs[$0].dimensions.last ?? 0 }
    }
    guard !layout.isEmpty, session.inputs.count == 1, widths.allSatisfy({ $0 == [1, 4, 10] })
    else {
      throw InferenceError.unexpectedModelLayout(
        path: session.modelPath,
        reason: "an SCRFD/RetinaFace detector has one image input and the outputs "
          + "\(named.joined(separator: ", ")) (or nine outputs in that order) of widths 1, 4 "
          + "and 10; this model has \(session.outputs)")
    }
    self.layout = layout
  }

  func faces(in outputs: DetectorSession.Outputs, scoreThreshold: Double) -> [FaceDetection] {
    let (scaleX, scaleY) = (outputs.scaleX, outputs.scaleY)
    var detections: [FaceDetection] = []
    for (stride, scoreIndex, boxIndex, landmarkIndex) in layout {
      let scores = outputs.values[scoreIndex]
      let boxes = outputs.values[boxIndex]
      let points = outputs.values[landmarkIndex]
      let columns = outputs.inputWidth / stride
      let rows = outputs.inputHeight / stride
      guard columns * rows > 0 else { continue }
      let anchors = max(1, scores.count / (columns * rows))
      let count = min(scores.count, boxes.count / 4, points.count / 10)
      let s = Double(stride)
      for anchor in 0..<count {
        let score = Double(scores[scores.startIndex + anchor])
        guard score >= scoreThreshold else { continue }
        let cell = anchor / anchors
        let centreX = Double(cell % columns) * s
        let centreY = Double(cell / columns) * s
        let box = boxes.startIndex + anchor * 4
        let point = points.startIndex + anchor * 10
        let landmarks = (0..<5).map { index in
          Point2D(
            x: (centreX + Double(points[point + index * 2]) * s) / scaleX,
            y: (centreY + Double(points[point + index * 2 + 1]) * s) / scaleY)
        }
        detections.append(
          FaceDetection(
            box: [
              (centreX - Double(boxes[box]) * s) / scaleX,
              (centreY - Double(boxes[box + 1]) * s) / scaleY,
              (centreX + Double(boxes[box + 2]) * s) / scaleX,
              (centreY + Double(boxes[box + 3]) * s) / scaleY,
            ],
            landmarks: landmarks.imageOrdered(), score: min(1, max(0, score))))
      }
    }
    return detections
  }
}
