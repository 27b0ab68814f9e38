/// An 8-bit image with three interleaved channels in blue, green, red order, rows packed
/// (`width * 3` bytes per row, no padding). This is the pixel format the whole pipeline uses.
public struct BGRImage: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// `width * height * 3` bytes, row-major, B G R per pixel.
  public var pixels: [UInt8]

  /// Wraps existing pixels; `pixels.count` must be `width * height * 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3)
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A black image.
  public init(width: Int, height: Int) {
    self.init(
      width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
  }

  /// Bytes per row.
  public var rowStride: Int { width * 3 }

  /// The B, G, R values at (x, y); no bounds check beyond the array's.
  public func pixel(x: Int, y: Int) -> (blue: UInt8, green: UInt8, red: UInt8) {
    let offset = y * rowStride + x * 3
    return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
  }

  /// The pixels of the rectangle at (`x`, `y`) of `width`×`height`, intersected with the image;
  /// nil when nothing of it is inside.
  public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> BGRImage? {
    let left = max(0, x)
    let top = max(0, y)
    let right = min(width, x + cropWidth)
    let bottom = min(height, y + cropHeight)
    guard right > left, bottom > top else { return nil }
    var output: [UInt8] = []
    output.reserveCapacity((right - left) * (bottom - top) * 3)
    for row in top..<bottom {
      let start = row * rowStride + left * 3
      output += pixels[start..<(start + (right - left) * 3)]
    }
    return BGRImage(width: right - left, height: bottom - top, pixels: output)
  }
}
