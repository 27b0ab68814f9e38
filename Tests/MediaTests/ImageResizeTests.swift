import FaceHarvestCore
import Media
import Testing

@Suite("Resizing with swscale")
struct ImageResizeTests {
  /// A small test image: blue = x, green = y, red = 255 − x.
  static func ramp(width: Int, height: Int) -> BGRImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width { pixels += [UInt8(x % 256), UInt8(y % 256), UInt8(255 - x % 256)] }
    }
    return BGRImage(width: width, height: height, pixels: pixels)
  }

  @Test("halving a 1280-wide frame keeps each value within 5 px of where it was")
  func halve() throws {
    // A grey ramp, x / 5 across.
    var pixels: [UInt8] = []
    for _ in 0..<8 {
      for x in 0..<1280 { pixels += Array(repeating: UInt8(x / 5), count: 3) }
    }
    let frame = BGRImage(width: 1280, height: 8, pixels: pixels)
    let half = try #require(frame.resized(width: 640, height: 4))
    #expect(half.width == 640 && half.height == 4)
    for x in stride(from: 0, to: 640, by: 37) {
      // Output pixel x samples about source pixel 2x (two-tap bilinear, no smoothing).
      #expect(abs(Int(half.pixel(x: x, y: 1).green) - 2 * x / 5) <= 1, "at \(x)")
    }
  }

  @Test("colours keep their channels (swscale scales packed BGR through YUV: ±5 levels)")
  func colours() throws {
    let pixels = (0..<(64 * 32)).flatMap { _ in [UInt8(200), UInt8(50), UInt8(10)] }
    let image = BGRImage(width: 64, height: 32, pixels: pixels)
    let small = try #require(image.resized(width: 20, height: 10))
    for (x, y) in [(0, 0), (10, 5), (19, 9)] {
      let pixel = small.pixel(x: x, y: y)
      #expect(abs(Int(pixel.blue) - 200) <= 5 && abs(Int(pixel.green) - 50) <= 5)
      #expect(abs(Int(pixel.red) - 10) <= 5)
    }
  }

  @Test("the same size is the same image; impossible sizes are nil")
  func edges() {
    let image = Self.ramp(width: 8, height: 4)
    #expect(image.resized(width: 8, height: 4) == image)
    #expect(image.resized(width: 0, height: 4) == nil)
    #expect(BGRImage(width: 0, height: 0).resized(width: 4, height: 4) == nil)
  }
}
