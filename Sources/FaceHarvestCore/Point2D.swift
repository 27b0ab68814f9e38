/// A 2-D point in pixels.
public struct Point2D: Sendable, Equatable, Hashable {
  /// Horizontal coordinate (right is positive).
  public var x: Double
  /// Vertical coordinate (down is positive).
  public var y: Double

  /// Creates a point.
  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }
}
