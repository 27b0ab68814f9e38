/// The four quality components of a face, each in [0, 1], and their weighted score
/// `0.4·confidence + 0.3·size + 0.2·blur + 0.1·pose` (the spec's §7.1 with DECISIONS.md's
/// component definitions).
public struct QualityScore: Sendable, Equatable {
  /// Detector confidence, clamped to [0, 1].
  public var confidence: Double
  /// `min(1, short side of the face box in pixels / 112)`.
  public var size: Double
  /// `min(1, laplacian variance / (2 · max_blur))`; nil before the crop exists.
  public var blur: Double?
  /// `max(0, 1 − |yaw| / 90)`.
  public var pose: Double

  /// The spec's weights.
  public static let weights = (confidence: 0.4, size: 0.3, blur: 0.2, pose: 0.1)

  /// Builds the components from raw measurements.
  public init(
    confidence: Double, shortSidePixels: Double, laplacianVariance: Double?, maxBlur: Double,
    yawDegrees: Double
  ) {
    self.confidence = Self.unit(confidence)
    self.size = Self.unit(shortSidePixels / 112)
    if let laplacianVariance {
      self.blur = maxBlur > 0 ? Self.unit(laplacianVariance / (2 * maxBlur)) : 1
    } else {
      self.blur = nil
    }
    self.pose = Self.unit(1 - abs(yawDegrees) / 90)
  }

  /// The combined score. Before the crop exists (`blur` nil), the other three components are
  /// re-weighted to sum to one, which is what sampling ranks detections by.
  public var value: Double {
    let weights = Self.weights
    guard let blur else {
      let total = weights.confidence + weights.size + weights.pose
      return (weights.confidence * confidence + weights.size * size + weights.pose * pose) / total
    }
    return weights.confidence * confidence + weights.size * size + weights.blur * blur
      + weights.pose * pose
  }

  private static func unit(_ value: Double) -> Double {
    guard value.isFinite else { return 0 }
    return min(1, max(0, value))
  }
}
