import FaceHarvestCore
import Foundation
import Media
import Testing

@testable import FaceAlignment

/// The in-frame mask of an alignment (docs/harvest.md, "Faces at the frame edge").
@Suite("In-frame mask")
struct InFrameMaskTests {
  /// The ArcFace template scaled by `scale` and moved by (`dx`, `dy`): landmarks of a face whose
  /// alignment is a plain scale and shift.
  static func landmarks(scale: Double, dx: Double, dy: Double) -> [Point2D] {
    ArcFaceTemplate.points112.map { Point2D(x: $0.x * scale + dx, y: $0.y * scale + dy) }
  }

  @Test("a face inside the frame has no padding; one past the left edge has it on the left")
  func edge() throws {
    let inside = try #require(
      FaceAligner.inFrameMask(
        landmarks: Self.landmarks(scale: 0.5, dx: 100, dy: 100), size: 112, frameWidth: 400,
        frameHeight: 300))
    #expect(inside.allSatisfy { $0 })
    // Crop x maps to frame x·0.5 − 20.25: columns up to 40 fall left of the frame.
    let cut = try #require(
      FaceAligner.inFrameMask(
        landmarks: Self.landmarks(scale: 0.5, dx: -20.25, dy: 100), size: 112, frameWidth: 400,
        frameHeight: 300))
    for y in [0, 56, 111] {
      #expect(!cut[y * 112 + 40] && cut[y * 112 + 41])
    }
    #expect(cut.filter { !$0 }.count == 41 * 112)
    // Where the mask says "in frame", the warp took real pixels: a white frame gives white.
    let white = BGRImage(
      width: 400, height: 300, pixels: [UInt8](repeating: 255, count: 400 * 300 * 3))
    let crop = try #require(
      FaceAligner.align(
        white, landmarks: Self.landmarks(scale: 0.5, dx: -20.25, dy: 100), size: 112))
    for index in cut.indices where cut[index] { #expect(crop.pixels[index * 3] == 255) }
  }

  @Test("degenerate landmarks give no mask")
  func degenerate() {
    let point = Point2D(x: 5, y: 5)
    #expect(
      FaceAligner.inFrameMask(
        landmarks: Array(repeating: point, count: 5), size: 112, frameWidth: 10, frameHeight: 10)
        == nil)
  }
}
