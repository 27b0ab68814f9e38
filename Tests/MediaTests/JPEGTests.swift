import FaceHarvestCore
import Foundation
import Testing

@testable import Media

@Suite("JPEG codec (libjpeg-turbo)")
struct JPEGTests {
  static func gradient(width: Int, height: Int) -> BGRImage {
    var image = BGRImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width {
        let offset = y * image.rowStride + x * 3
        image.pixels[offset] = UInt8(x * 255 / max(1, width - 1))
        image.pixels[offset + 1] = UInt8(y * 255 / max(1, height - 1))
        image.pixels[offset + 2] = 128
      }
    }
    return image
  }

  @Test("encode then decode keeps size and pixels close")
  func roundTrip() throws {
    let image = Self.gradient(width: 96, height: 64)
    let data = try JPEGEncoder().encode(image, quality: 95)
    #expect(data.starts(with: [0xFF, 0xD8]))
    let decoded = try JPEGDecoder().decode(data)
    #expect(decoded.width == 96 && decoded.height == 64)
    let meanError =
      zip(image.pixels, decoded.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
      / image.pixels.count
    #expect(meanError <= 3)
  }

  @Test("lower quality gives a smaller file")
  func qualityMatters() throws {
    let image = Self.gradient(width: 128, height: 128)
    let encoder = try JPEGEncoder()
    #expect(try encoder.encode(image, quality: 30).count < encoder.encode(image, quality: 95).count)
  }

  @Test("invalid quality, empty images and garbage bytes are errors")
  func errors() throws {
    let encoder = try JPEGEncoder()
    #expect(throws: JPEGError.self) {
      try encoder.encode(Self.gradient(width: 8, height: 8), quality: 0)
    }
    #expect(throws: JPEGError.self) {
      try encoder.encode(BGRImage(width: 0, height: 0), quality: 90)
    }
    #expect(throws: JPEGError.self) { try JPEGDecoder().decode(Data("not a jpeg".utf8)) }
  }
}
