import FaceHarvestCore
import Foundation
import Media
import Testing

@testable import FaceQuality

@Suite("Laplacian variance")
struct SharpnessTests {
  @Test("a uniform image has zero variance")
  func uniform() {
    let gray = [UInt8](repeating: 77, count: 112 * 112)
    #expect(Sharpness.laplacianVariance(gray: gray, width: 112, height: 112) == 0)
  }

  @Test("a one-pixel checkerboard gives (4·255 + 4·255)²/4 = 1020² exactly")
  func checkerboard() {
    let width = 8
    let height = 6
    let gray = (0..<(width * height)).map { index -> UInt8 in
      (index % width + index / width) % 2 == 0 ? 0 : 255
    }
    // Every pixel's four neighbours have the other value (reflect-101 keeps the pattern), so the
    // Laplacian is +1020 on black and −1020 on white, half each: mean 0, variance 1020².
    #expect(Sharpness.laplacianVariance(gray: gray, width: width, height: height) == 1_040_400)
  }

  @Test("a vertical step edge: only the two columns beside the edge respond")
  func stepEdge() {
    let width = 10
    let height = 4
    let gray = (0..<(width * height)).map { index -> UInt8 in index % width < 5 ? 0 : 100 }
    // Column 4 sees +100 (right neighbour), column 5 sees −100; 8 of 40 pixels are non-zero.
    // mean = (4·100 − 4·100)/40 = 0, variance = 8·100²/40 = 2000.
    #expect(Sharpness.laplacianVariance(gray: gray, width: width, height: height) == 2000)
  }

  @Test("blurring lowers the variance")
  func blurLowersVariance() {
    var generator = SplitMix64(seed: 7)
    let sharp = (0..<(64 * 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    var blurred = sharp
    for y in 1..<63 {
      for x in 1..<63 {
        var sum = 0
        for dy in -1...1 { for dx in -1...1 { sum += Int(sharp[(y + dy) * 64 + x + dx]) } }
        blurred[y * 64 + x] = UInt8(sum / 9)
      }
    }
    #expect(
      Sharpness.laplacianVariance(gray: blurred, width: 64, height: 64)
        < Sharpness.laplacianVariance(gray: sharp, width: 64, height: 64) / 4)
  }

  @Test("luma matches OpenCV's BGR→gray weights")
  func luma() {
    let image = BGRImage(width: 3, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255])
    #expect(Sharpness.luma(image) == [29, 150, 76])
  }
}

/// A tiny deterministic generator for test images.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("Flat fraction")
struct FlatFractionTests {
  static let size = 112

  /// A flat oval with two dots on a flat background: like a painted smiley or a lamp shade.
  static let painted = (0..<(size * size)).map { index -> UInt8 in
    let (x, y) = (Double(index % size), Double(index / size))
    if (x - 40) * (x - 40) + (y - 50) * (y - 50) < 16 { return 20 }
    if (x - 72) * (x - 72) + (y - 50) * (y - 50) < 16 { return 20 }
    return (x - 56) * (x - 56) / 1600 + (y - 60) * (y - 60) / 2500 < 1 ? 200 : 90
  }

  /// Smooth shading with texture everywhere (deterministic noise of ±4 grey levels), at
  /// `contrast` (1: bright, 0.3: a dark scene).
  static func textured(contrast: Double) -> [UInt8] {
    var state: UInt32 = 12345
    return (0..<(size * size)).map { index -> UInt8 in
      state = state &* 1_664_525 &+ 1_013_904_223
      let shading = 60 * sin(Double(index % size) / 20) + 40 * cos(Double(index / size) / 15)
      let noise = Double(Int(state >> 29) - 4)
      return UInt8(clamping: Int((110 + shading + noise) * contrast))
    }
  }

  @Test("painted surfaces are flat for their contrast; textured skin is not, bright or dark")
  func flatVersusTextured() {
    let size = Self.size
    #expect(Sharpness.flatFraction(gray: Self.painted, width: size, height: size) > 0.9)
    #expect(
      Sharpness.flatFraction(gray: Self.textured(contrast: 1), width: size, height: size) < 0.4)
    #expect(
      Sharpness.flatFraction(gray: Self.textured(contrast: 0.3), width: size, height: size) < 0.4)
  }

  @Test("only the face region counts: a flat border changes nothing")
  func borderIgnored() {
    let size = Self.size
    var framed = Self.textured(contrast: 1)
    let plain = Sharpness.flatFraction(gray: framed, width: size, height: size)
    for y in 0..<size { for x in 0..<(size * 15 / 100) { framed[y * size + x] = 0 } }
    #expect(Sharpness.flatFraction(gray: framed, width: size, height: size) == plain)
  }
}

/// Faces at the frame edge (docs/harvest.md): the gates measure the in-frame part of the crop.
@Suite("Crops with padding")
struct PaddedCropTests {
  static let size = FlatFractionTests.size

  /// Real picture in the right `1 − padding` of the crop, black padding on the left.
  static func padded(_ gray: [UInt8], padding: Double) -> (gray: [UInt8], inFrame: [Bool]) {
    let edge = Int(Double(size) * padding)
    let inFrame = (0..<(size * size)).map { $0 % size >= edge }
    return (zip(gray, inFrame).map { $1 ? $0 : 0 }, inFrame)
  }

  static func image(_ gray: [UInt8]) -> BGRImage {
    BGRImage(width: size, height: size, pixels: gray.flatMap { [$0, $0, $0] })
  }

  @Test("padding is neither flat nor sharp: skin cut by the frame edge passes as skin")
  func paddingIgnored() {
    let skin = FlatFractionTests.textured(contrast: 1)
    let (gray, inFrame) = Self.padded(skin, padding: 0.45)
    #expect(Sharpness.paddingFraction(inFrame) > 0.44 && Sharpness.paddingFraction(inFrame) < 0.46)
    // Measured over the whole crop, the black band reads as a flat face region.
    #expect(Sharpness.flatFraction(gray: gray, width: Self.size, height: Self.size) > 0.4)
    let measured = CropMeasures(Self.image(gray), inFrame: inFrame)
    #expect(measured.flatFraction < 0.4)
    // The picture-to-padding step is no detail: sharpness is that of the in-frame part.
    let whole = Sharpness.laplacianVariance(gray: skin, width: Self.size, height: Self.size)
    let stepped = Sharpness.laplacianVariance(gray: gray, width: Self.size, height: Self.size)
    #expect(stepped > 2 * whole)
    #expect(abs(measured.laplacianVariance - whole) < 0.2 * whole)
    // A painted surface at the edge is still flat.
    let (paintedGray, paintedMask) = Self.padded(FlatFractionTests.painted, padding: 0.2)
    #expect(CropMeasures(Self.image(paintedGray), inFrame: paintedMask).flatFraction > 0.4)
  }

  @Test("with no padding the measures are exactly the whole crop's")
  func noPaddingSame() {
    let skin = FlatFractionTests.textured(contrast: 0.3)
    let all = [Bool](repeating: true, count: Self.size * Self.size)
    let plain = CropMeasures(Self.image(skin), inFrame: nil)
    #expect(CropMeasures(Self.image(skin), inFrame: all) == plain)
    #expect(
      plain.flatFraction == Sharpness.flatFraction(gray: skin, width: Self.size, height: Self.size))
  }
}
