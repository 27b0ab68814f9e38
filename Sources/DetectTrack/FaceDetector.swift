import Artifacts
import FaceAlignment
public import FaceHarvestCore
import Foundation
import Inference
public import Logging
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
  /// Whether `inputScale` can enlarge the model's input (its height and width are dynamic).
  var acceptsLargerInput: Bool { get }
  /// Faces in each image with a score of at least `scoreThreshold`, after non-maximum
  /// suppression, highest score first. `inputScale` multiplies the input size the frame is
  /// scaled to fit (2: twice the entry's 640 on each side, so faces half the size are found;
  /// docs/detect_track.md, "Small faces"); a model with a fixed input ignores it.
  func detect(_ images: [BGRImage], scoreThreshold: Double, inputScale: Double) throws
    -> [[FaceDetection]]
  /// Faces in each image run at the image's own size, unresized (a tile of a frame already
  /// converted to the scale wanted: docs/detect_track.md, "Small faces"), in image pixels. The
  /// sides must be multiples of 32 and the model's input dynamic (`acceptsLargerInput`).
  func detectAtOwnSize(_ images: [BGRImage], scoreThreshold: Double) throws -> [[FaceDetection]]
}

extension FaceDetector {
  /// Faces in each image at the entry's input size (see `detect(_:scoreThreshold:inputScale:)`).
  public func detect(_ images: [BGRImage], scoreThreshold: Double) throws -> [[FaceDetection]] {
    try detect(images, scoreThreshold: scoreThreshold, inputScale: 1)
  }

  /// Faces in one image (see `detect(_:scoreThreshold:inputScale:)`).
  public func detect(_ image: BGRImage, scoreThreshold: Double = 0.5, inputScale: Double = 1)
    throws -> [FaceDetection]
  {
    try detect([image], scoreThreshold: scoreThreshold, inputScale: inputScale)[0]
  }

  /// The image size `detect` runs a `frameWidth`×`frameHeight` frame at, at `inputScale`: the
  /// frame scaled with its aspect kept to fit the input (docs/detect_track.md, "Detector
  /// input"). An image already this size goes to the model unresized, so a frame source can
  /// convert frames straight to it.
  public func inputImageSize(frameWidth: Int, frameHeight: Int, inputScale: Double = 1) -> (
    width: Int, height: Int
  ) {
    DetectorSession.fittedSize(
      entry: entry, dynamic: acceptsLargerInput, frameWidth: frameWidth, frameHeight: frameHeight,
      inputScale: inputScale)
  }

  /// Frame pixels to input pixels at the entry's size (`inputScale` 1) for a
  /// `width`×`height` frame: the frame is scaled with its aspect kept to fit the input.
  public func inputPixelsPerFramePixel(frameWidth width: Int, frameHeight height: Int) -> Double {
    min(
      Double(entry.inputWidth) / Double(max(1, width)),
      Double(entry.inputHeight) / Double(max(1, height)))
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
    guard let family = DetectorFamily(rawValue: entry.family) else {
      throw InferenceError.unexpectedModelLayout(
        path: manifest.fileURL(for: entry).path,
        reason:
          "detector family \"\(entry.family)\" is not one of "
          + DetectorFamily.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return try SessionFaceDetector(
      family: family, manifest: manifest, entry: entry, intraOpThreads: intraOpThreads,
      logger: logger)
  }

  /// How the family's outputs become faces.
  var layout: any DetectorOutputLayout.Type {
    switch self {
    case .yunet: YuNetLayout.self
    case .scrfd: SCRFDLayout.self
    }
  }
}

/// How one detector family's outputs become faces (`YuNetLayout`, `SCRFDLayout`).
protocol DetectorOutputLayout: Sendable {
  /// The family's non-maximum suppression IoU.
  static var nmsThreshold: Double { get }
  /// Finds the family's outputs in `model`; a model without them is refused, naming them.
  init(_ model: DetectorSession) throws
  /// One frame's faces scoring at least `scoreThreshold`, in frame pixels, before
  /// non-maximum suppression.
  func faces(in outputs: DetectorSession.Outputs, scoreThreshold: Double) -> [FaceDetection]
}

/// The detector of every family: one `DetectorSession` (input sizing, batching) and the
/// family's `DetectorOutputLayout`, then non-maximum suppression at the family's threshold.
public final class SessionFaceDetector: FaceDetector, Sendable {
  /// The manifest entry.
  public let entry: ModelEntry
  /// Non-maximum suppression IoU.
  public let nmsThreshold: Double
  private let model: DetectorSession
  private let layout: any DetectorOutputLayout

  /// Loads `entry` (SHA-256 checked) as a detector of `family`; a model without the family's
  /// outputs is refused, naming the outputs it must have.
  public init(
    family: DetectorFamily, manifest: ModelManifest, entry: ModelEntry, intraOpThreads: Int = 0,
    logger: Logger = Logger(label: "faceharvest.detect")
  ) throws {
    model = try DetectorSession(
      manifest: manifest, entry: entry, intraOpThreads: intraOpThreads, logger: logger)
    layout = try family.layout.init(model)
    nmsThreshold = family.layout.nmsThreshold
    self.entry = entry
  }

  /// Frames per model run.
  public var maximumBatch: Int { model.maximumBatch }

  /// Whether `inputScale` can enlarge the input (see `FaceDetector`).
  public var acceptsLargerInput: Bool { model.hasDynamicSize }

  /// Faces in each image (see `FaceDetector`).
  public func detect(_ images: [BGRImage], scoreThreshold: Double, inputScale: Double) throws
    -> [[FaceDetection]]
  {
    try model.run(images, inputScale: inputScale).map { outputs in
      nonMaximumSuppression(
        layout.faces(in: outputs, scoreThreshold: scoreThreshold), threshold: nmsThreshold)
    }
  }

  /// Faces in each image at its own size (see `FaceDetector`).
  public func detectAtOwnSize(_ images: [BGRImage], scoreThreshold: Double) throws
    -> [[FaceDetection]]
  {
    try model.run(images, ownSize: true).map { outputs in
      nonMaximumSuppression(
        layout.faces(in: outputs, scoreThreshold: scoreThreshold), threshold: nmsThreshold)
    }
  }
}

/// A detector model fed whole frames, resized by FFmpeg's swscale (docs/detect_track.md,
/// "Detector input"). Each frame is scaled with its aspect kept so that it fits the entry's
/// input size (640), into the top-left corner of the input, black elsewhere. A model whose
/// input height and width are dynamic (set-up makes YuNet's and SCRFD's so) gets an input the
/// frame's shape, each side rounded to the nearest multiple of 32 (the largest stride):
/// 640×352 for 1280×720, where a fixed 640×640 square is 44 % padding. Runs frames in one batch
/// when the model's batch dimension is dynamic.
struct DetectorSession: Sendable {
  /// One frame's model outputs, in the session's output order, with the batch split off.
  struct Outputs {
    /// Output values per output index.
    var values: [ArraySlice<Float>]
    /// Input pixels per frame pixel, across and down.
    var scaleX: Double
    var scaleY: Double
    /// The input size the frame ran at.
    var inputWidth: Int
    var inputHeight: Int
  }

  /// Sides of a dynamic input are multiples of this (the models' largest stride).
  static let sizeMultiple = 32

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

  /// Whether the model takes any input height and width.
  var hasDynamicSize: Bool {
    let dimensions = session.inputs.first?.dimensions ?? []
    return dimensions.count == 4 && dimensions[2] < 0 && dimensions[3] < 0
  }

  /// The index of each output named in `names`, or nil when one is missing.
  func outputIndices(_ names: [String]) -> [String: Int]? {
    var indices: [String: Int] = [:]
    for name in names {
      guard let index = session.outputs.firstIndex(where: { $0.name == name }) else { return nil }
      indices[name] = index
    }
    return indices
  }

  /// The model input size for a `width`×`height` frame, and the frame's size scaled into it
  /// (`fittedSize`). A dynamic input is the scaled frame (its sides multiples of 32); a fixed
  /// one is the entry's size.
  /// `inputScale` multiplies the size to fit; a fixed input ignores it.
  func inputSize(frameWidth width: Int, frameHeight height: Int, inputScale: Double = 1) -> (
    input: (width: Int, height: Int), scaled: (width: Int, height: Int)
  ) {
    let scaled = Self.fittedSize(
      entry: entry, dynamic: hasDynamicSize, frameWidth: width, frameHeight: height,
      inputScale: inputScale)
    return (hasDynamicSize ? scaled : (entry.inputWidth, entry.inputHeight), scaled)
  }

  /// A `width`×`height` frame scaled with its aspect kept to fit `entry`'s input size, times
  /// `inputScale` when the input is `dynamic`; a dynamic input's sides are then rounded to the
  /// nearest multiple of 32.
  static func fittedSize(
    entry: ModelEntry, dynamic: Bool, frameWidth width: Int, frameHeight height: Int,
    inputScale: Double
  ) -> (width: Int, height: Int) {
    let enlargement = dynamic ? max(1, inputScale) : 1
    let fitWidth = Int((Double(entry.inputWidth) * enlargement).rounded())
    let fitHeight = Int((Double(entry.inputHeight) * enlargement).rounded())
    let scale = min(
      Double(fitWidth) / Double(max(1, width)), Double(fitHeight) / Double(max(1, height)))
    let scaled = (
      width: max(1, min(fitWidth, Int((Double(width) * scale).rounded()))),
      height: max(1, min(fitHeight, Int((Double(height) * scale).rounded())))
    )
    // A dynamic input takes each side rounded to the nearest multiple of the largest stride:
    // the frame is squashed by at most half a stride instead of padded (docs/detect_track.md,
    // "Detector input").
    guard dynamic else { return scaled }
    func rounded(_ side: Int) -> Int {
      max(sizeMultiple, Int((Double(side) / Double(sizeMultiple)).rounded()) * sizeMultiple)
    }
    return (rounded(scaled.width), rounded(scaled.height))
  }

  /// Model runs over `images` (one size), batched; `ownSize`: each at its own size, unresized
  /// (its sides multiples of 32, the input dynamic), else fitted at `inputScale`.
  func run(_ images: [BGRImage], inputScale: Double = 1, ownSize: Bool = false) throws
    -> [Outputs]
  {
    var results: [Outputs] = []
    for start in stride(from: 0, to: images.count, by: maximumBatch) {
      let chunk = images[start..<min(images.count, start + maximumBatch)]
      results += try run(chunk, inputScale: inputScale, ownSize: ownSize)
    }
    return results
  }

  /// One model run over frames of one size.
  private func run(_ chunk: ArraySlice<BGRImage>, inputScale: Double, ownSize: Bool) throws
    -> [Outputs]
  {
    guard let first = chunk.first else { return [] }
    var size = inputSize(
      frameWidth: first.width, frameHeight: first.height, inputScale: inputScale)
    if ownSize {
      guard hasDynamicSize, first.width % Self.sizeMultiple == 0,
        first.height % Self.sizeMultiple == 0
      else {
        throw InferenceError.invalidInput(
          reason: "a \(first.width)×\(first.height) tile cannot run at its own size "
            + "(sides multiples of \(Self.sizeMultiple), a model with a dynamic input)")
      }
      size = ((first.width, first.height), (first.width, first.height))
    }
    var inputs: [BGRImage] = []
    for image in chunk {
      guard image.width == first.width, image.height == first.height else {
        throw InferenceError.invalidInput(
          reason: "frames of one batch differ in size (\(image.width)×\(image.height) and "
            + "\(first.width)×\(first.height))")
      }
      guard let scaled = image.resized(width: size.scaled.width, height: size.scaled.height)
      else {
        throw InferenceError.invalidInput(
          reason: "swscale could not resize a \(image.width)×\(image.height) frame to "
            + "\(size.scaled.width)×\(size.scaled.height)")
      }
      inputs.append(scaled)
    }
    let outputs = try session.run(
      try entry.inputTensor(for: inputs, width: size.input.width, height: size.input.height))
    return inputs.indices.map { offset in
      let values = outputs.map { tensor -> ArraySlice<Float> in
        let perImage = tensor.values.count / inputs.count
        return tensor.values[offset * perImage..<(offset + 1) * perImage]
      }
      return Outputs(
        values: values, scaleX: Double(size.scaled.width) / Double(first.width),
        scaleY: Double(size.scaled.height) / Double(first.height), inputWidth: size.input.width,
        inputHeight: size.input.height)
    }
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
