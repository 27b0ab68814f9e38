/// An axis-aligned rectangle of whole pixels: `x`, `y` its top-left corner, `width`×`height`
/// its size (a tile of a frame, docs/detect_track.md, "Small faces").
public struct PixelRect: Sendable, Equatable, Hashable {
  /// Left column.
  public var x: Int
  /// Top row.
  public var y: Int
  /// Columns.
  public var width: Int
  /// Rows.
  public var height: Int

  /// A rectangle.
  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  /// The smallest rectangle of whole pixels holding `box` (`[x1, y1, x2, y2]`, pixels) clipped
  /// to a `frameWidth`×`frameHeight` frame; nil when nothing of it is inside.
  public init?(enclosing box: [Double], frameWidth: Int, frameHeight: Int) {
    let left = max(0, Int(box[0].rounded(.down)))
    let top = max(0, Int(box[1].rounded(.down)))
    let right = min(frameWidth, Int(box[2].rounded(.up)))
    let bottom = min(frameHeight, Int(box[3].rounded(.up)))
    guard right > left, bottom > top else { return nil }
    self.init(x: left, y: top, width: right - left, height: bottom - top)
  }

  /// Pixels covered.
  public var area: Int { width * height }
}
