public import FaceHarvestCore
import Foundation

/// A similarity transform (rotation, uniform scale, translation):
/// `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
public struct SimilarityTransform: Sendable, Equatable {
  /// `scale · cos(angle)`.
  public var a: Double
  /// `scale · sin(angle)`.
  public var b: Double
  /// Horizontal translation.
  public var tx: Double
  /// Vertical translation.
  public var ty: Double

  /// Creates a transform from its four parameters.
  public init(a: Double, b: Double, tx: Double, ty: Double) {
    self.a = a
    self.b = b
    self.tx = tx
    self.ty = ty
  }

  /// Creates a transform from a scale, a rotation (radians, counter-clockwise in a y-up frame,
  /// clockwise on screen) and a translation.
  public init(scale: Double, angle: Double, tx: Double, ty: Double) {
    self.init(a: scale * cos(angle), b: scale * sin(angle), tx: tx, ty: ty)
  }

  /// The identity transform.
  public static let identity = SimilarityTransform(a: 1, b: 0, tx: 0, ty: 0)

  /// The uniform scale factor.
  public var scale: Double { (a * a + b * b).squareRoot() }

  /// The rotation angle in radians.
  public var angle: Double { atan2(b, a) }

  /// Maps a point.
  public func apply(_ point: Point2D) -> Point2D {
    Point2D(x: a * point.x - b * point.y + tx, y: b * point.x + a * point.y + ty)
  }

  /// The inverse transform, or nil when the scale is zero.
  public var inverse: SimilarityTransform? {
    let determinant = a * a + b * b
    guard determinant > 0, determinant.isFinite else { return nil }
    let inverseA = a / determinant
    let inverseB = -b / determinant
    return SimilarityTransform(
      a: inverseA, b: inverseB, tx: -(inverseA * tx - inverseB * ty),
      ty: -(inverseB * tx + inverseA * ty))
  }

  /// The least-squares similarity transform that maps `source[i]` onto `destination[i]`
  /// (Umeyama's closed form restricted to proper rotations). Nil when fewer than two points are
  /// given, the counts differ, a coordinate is not finite, or the source points coincide.
  public static func estimate(from source: [Point2D], to destination: [Point2D])
    -> SimilarityTransform?
  {
    guard source.count == destination.count, source.count >= 2 else { return nil }
    guard (source + destination).allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return nil }
    let count = Double(source.count)
    let sourceMeanX = source.reduce(0) { $0 + $1.x } / count
    let sourceMeanY = source.reduce(0) { $0 + $1.y } / count
    let destinationMeanX = destination.reduce(0) { $0 + $1.x } / count
    let destinationMeanY = destination.reduce(0) { $0 + $1.y } / count
    // With centred coordinates p (source) and q (destination), minimising Σ|s·R·p + t − q|²
    // over similarity transforms gives a = Σ(p·q)/Σ|p|², b = Σ(p×q)/Σ|p|².
    var dot = 0.0
    var cross = 0.0
    var sourceVariance = 0.0
    for (p, q) in zip(source, destination) {
      let px = p.x - sourceMeanX
      let py = p.y - sourceMeanY
      let qx = q.x - destinationMeanX
      let qy = q.y - destinationMeanY
      dot += px * qx + py * qy
      cross += px * qy - py * qx
      sourceVariance += px * px + py * py
    }
    guard sourceVariance > 1e-12 else { return nil }
    let a = dot / sourceVariance
    let b = cross / sourceVariance
    let tx = destinationMeanX - (a * sourceMeanX - b * sourceMeanY)
    let ty = destinationMeanY - (b * sourceMeanX + a * sourceMeanY)
    return SimilarityTransform(a: a, b: b, tx: tx, ty: ty)
  }
}
