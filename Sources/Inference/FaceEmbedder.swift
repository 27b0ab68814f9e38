public import FaceHarvestCore
import Foundation
public import Logging
import Media

/// Why one face produced no embedding.
public enum EmbeddingRejection: String, Sendable, Equatable {
  /// The model returned a zero vector.
  case zeroEmbedding = "zero_embedding"
  /// The model returned NaN or infinity.
  case nonFiniteEmbedding = "non_finite_embedding"
}

/// Runs a recognition model (SFace, ArcFace family…) on aligned crops and returns unit-norm
/// embeddings. Input size, colour order, mean/std and width come from the model's manifest
/// entry; nothing is hard-coded to 512.
public final class FaceEmbedder: Sendable {
  /// The manifest entry the embedder was built from.
  public let entry: ModelEntry
  /// The embedding width (the model's output width).
  public let embeddingWidth: Int
  /// Crops must be this many pixels wide and high.
  public var inputSize: (width: Int, height: Int) { (entry.inputWidth, entry.inputHeight) }
  private let session: OrtInferenceSession
  private let fixedBatch: Int?

  /// Loads `entry` from `manifest` (verifying its SHA-256) and checks that the graph takes one
  /// N×3×H×W image and returns an N×D vector with D = `output_width`.
  public init(
    manifest: ModelManifest, entry: ModelEntry, device: ExecutionDevice = .cpu,
    intraOpThreads: Int = 0, logger: Logger = Logger(label: "faceharvest.inference")
  ) throws {
    guard entry.role == .embedder, let width = entry.outputWidth else {
      throw InferenceError.manifest(
        path: manifest.url.path, reason: "\(entry.name) is not an embedder")
    }
    let file = try manifest.verifiedFileURL(for: entry)
    let session = try OrtInferenceSession(
      modelURL: file, device: device, intraOpThreads: intraOpThreads, logger: logger)
    try Self.checkLayout(session: session, entry: entry, width: width)
    self.entry = entry
    self.session = session
    self.embeddingWidth = width
    let batch = session.inputs[0].dimensions[0]
    fixedBatch = batch > 0 ? batch : nil
  }

  private static func checkLayout(session: OrtInferenceSession, entry: ModelEntry, width: Int)
    throws
  {
    let path = session.modelPath
    guard session.inputs.count == 1 else {
      throw InferenceError.unexpectedModelLayout(
        path: path,
        reason: "an embedder takes one image input; the model declares \(session.inputs)")
    }
    let input = session.inputs[0].dimensions
    let expected = [-1, 3, entry.inputHeight, entry.inputWidth]
    guard input.count == 4,
      zip(input.dropFirst(), expected.dropFirst()).allSatisfy({ $0 < 0 || $0 == $1 })
    else {
      throw InferenceError.unexpectedModelLayout(
        path: path,
        reason: "input \(session.inputs[0]) is not N×3×\(entry.inputHeight)×\(entry.inputWidth)")
    }
    guard let output = session.outputs.first else {
      throw InferenceError.unexpectedModelLayout(path: path, reason: "the model has no output")
    }
    let outputWidth = output.dimensions.last ?? 0
    let isVector = output.dimensions.count == 2 && (outputWidth < 0 || outputWidth == width)
    guard isVector else {
      throw InferenceError.unexpectedModelLayout(
        path: path,
        reason: "output \(output) is not an N×\(width) embedding (manifest output_width \(width))")
    }
  }

  /// Converts crops to the model's N×3×H×W input: channel order and (x − mean) / std from the
  /// manifest entry.
  public func inputTensor(for crops: [BGRImage]) throws -> Tensor {
    try entry.inputTensor(for: crops)
  }

  /// Embeds aligned crops (each `inputSize`). Returns one result per crop, in order: a unit-norm
  /// vector of `embeddingWidth` floats, or the reason there is none.
  public func embed(_ crops: [BGRImage]) throws -> [Result<[Float], EmbeddingRejectionError>] {
    guard !crops.isEmpty else { return [] }
    var results: [Result<[Float], EmbeddingRejectionError>] = []
    results.reserveCapacity(crops.count)
    let batchSize = fixedBatch ?? crops.count
    var start = 0
    while start < crops.count {
      let batch = Array(crops[start..<min(crops.count, start + batchSize)])
      let output = try session.run(try inputTensor(for: batch))[0]
      guard output.values.count == batch.count * embeddingWidth else {
        throw InferenceError.unexpectedModelLayout(
          path: session.modelPath,
          reason: "output shape \(output.shape) for a batch of \(batch.count); expected "
            + "\(batch.count)×\(embeddingWidth)")
      }
      for row in 0..<batch.count {
        let raw = Array(output.values[(row * embeddingWidth)..<((row + 1) * embeddingWidth)])
        results.append(Self.normalise(raw))
      }
      start += batch.count
    }
    return results
  }

  /// L2-normalises a raw model output; zero or non-finite vectors are rejected.
  public static func normalise(_ raw: [Float]) -> Result<[Float], EmbeddingRejectionError> {
    guard raw.allSatisfy(\.isFinite) else {
      return .failure(EmbeddingRejectionError(.nonFiniteEmbedding))
    }
    let norm = raw.reduce(Double(0)) { $0 + Double($1) * Double($1) }.squareRoot()
    guard norm > 1e-12, norm.isFinite else {
      return .failure(EmbeddingRejectionError(.zeroEmbedding))
    }
    return .success(raw.map { Float(Double($0) / norm) })
  }
}

/// An `Error` wrapper for `EmbeddingRejection`, so per-face results can be `Result`s.
public struct EmbeddingRejectionError: Error, Equatable, CustomStringConvertible {
  /// Why the face has no embedding.
  public let reason: EmbeddingRejection

  /// Wraps a reason.
  public init(_ reason: EmbeddingRejection) { self.reason = reason }

  public var description: String { reason.rawValue }
}

/// Cosine similarity of two vectors of equal length (1 for identical directions).
public func cosineSimilarity(_ lhs: [Float], _ rhs: [Float]) -> Float {
  precondition(lhs.count == rhs.count, "vectors of different widths")
  var dot = 0.0
  var lhsNorm = 0.0
  var rhsNorm = 0.0
  for (left, right) in zip(lhs, rhs) {
    dot += Double(left) * Double(right)
    lhsNorm += Double(left) * Double(left)
    rhsNorm += Double(right) * Double(right)
  }
  let denominator = (lhsNorm * rhsNorm).squareRoot()
  return denominator > 0 ? Float(dot / denominator) : 0
}
