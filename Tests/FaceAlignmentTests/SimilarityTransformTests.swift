import FaceHarvestCore
import Foundation
import Media
import Testing

@testable import FaceAlignment

@Suite("Similarity transform")
struct SimilarityTransformTests {
  static let knownTransforms: [SimilarityTransform] = [
    SimilarityTransform(scale: 1, angle: 0, tx: 0, ty: 0),
    SimilarityTransform(scale: 0.37, angle: 0.3, tx: -120.5, ty: 44.25),
    SimilarityTransform(scale: 2.5, angle: -1.1, tx: 12, ty: -300),
    SimilarityTransform(scale: 0.05, angle: 3.0, tx: 56, ty: 56),
  ]

  @Test(
    "least-squares fit recovers a known transform to within 1e-3 px", arguments: knownTransforms)
  func recoversKnownTransform(truth: SimilarityTransform) throws {
    let source = [
      Point2D(x: 510.2, y: 300.7), Point2D(x: 590.9, y: 297.1), Point2D(x: 552.3, y: 350.0),
      Point2D(x: 520.4, y: 395.6), Point2D(x: 585.0, y: 391.8),
    ]
    let destination = source.map(truth.apply)
    let fitted = try #require(SimilarityTransform.estimate(from: source, to: destination))
    for (point, expected) in zip(source, destination) {
      let mapped = fitted.apply(point)
      #expect(abs(mapped.x - expected.x) <= 1e-3)
      #expect(abs(mapped.y - expected.y) <= 1e-3)
    }
    #expect(abs(fitted.scale - truth.scale) <= 1e-9 * max(1, truth.scale))
  }

  @Test("noisy landmarks give the least-squares optimum, not an exact fit")
  func leastSquaresWithNoise() throws {
    let truth = SimilarityTransform(scale: 0.5, angle: 0.2, tx: 10, ty: 20)
    let source = ArcFaceTemplate.points112.map { Point2D(x: $0.x * 4 + 300, y: $0.y * 4 + 100) }
    let offsets = [(1.0, -0.5), (-0.7, 0.2), (0.3, 0.9), (-0.4, -0.6), (0.2, 0.4)]
    let destination = zip(source, offsets).map { point, offset in
      let mapped = truth.apply(point)
      return Point2D(x: mapped.x + offset.0, y: mapped.y + offset.1)
    }
    let fitted = try #require(SimilarityTransform.estimate(from: source, to: destination))
    func residual(_ transform: SimilarityTransform) -> Double {
      zip(source, destination).reduce(0) { sum, pair in
        let mapped = transform.apply(pair.0)
        return sum + pow(mapped.x - pair.1.x, 2) + pow(mapped.y - pair.1.y, 2)
      }
    }
    #expect(residual(fitted) <= residual(truth))
    // Any small perturbation of the optimum must not do better.
    for delta in [1e-3, -1e-3] {
      var perturbed = fitted
      perturbed.a += delta
      #expect(residual(perturbed) > residual(fitted))
      perturbed = fitted
      perturbed.tx += delta * 100
      #expect(residual(perturbed) > residual(fitted))
    }
  }

  @Test("inverse undoes the transform")
  func inverseRoundTrip() throws {
    let transform = SimilarityTransform(scale: 1.7, angle: -0.4, tx: 33, ty: -8)
    let inverse = try #require(transform.inverse)
    let point = Point2D(x: 123.4, y: -56.7)
    let back = inverse.apply(transform.apply(point))
    #expect(abs(back.x - point.x) < 1e-9 && abs(back.y - point.y) < 1e-9)
  }

  @Test("degenerate input has no fit")
  func degenerate() {
    let same = Array(repeating: Point2D(x: 5, y: 5), count: 5)
    #expect(SimilarityTransform.estimate(from: same, to: ArcFaceTemplate.points112) == nil)
    #expect(
      SimilarityTransform.estimate(from: [Point2D(x: 1, y: 1)], to: [Point2D(x: 2, y: 2)]) == nil)
    let withNaN = [Point2D(x: .nan, y: 1)] + ArcFaceTemplate.points112.dropFirst()
    #expect(SimilarityTransform.estimate(from: withNaN, to: ArcFaceTemplate.points112) == nil)
    #expect(SimilarityTransform(a: 0, b: 0, tx: 1, ty: 1).inverse == nil)
  }
}

@Suite("Face alignment warp")
struct FaceAlignerTests {
  /// A frame with a distinct colour in each quadrant and a gradient, so warps are checkable.
  static func testFrame(width: Int = 64, height: Int = 48) -> BGRImage {
    var image = BGRImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width {
        let offset = y * image.rowStride + x * 3
        image.pixels[offset] = UInt8(x * 255 / (width - 1))
        image.pixels[offset + 1] = UInt8(y * 255 / (height - 1))
        image.pixels[offset + 2] = UInt8((x + y) % 256)
      }
    }
    return image
  }

  @Test("an identity warp copies the image")
  func identityWarp() {
    let frame = Self.testFrame()
    let warped = FaceAligner.warp(
      frame, inverse: .identity, width: frame.width, height: frame.height)
    #expect(warped == frame)
  }

  @Test("an integer translation shifts pixels and fills outside with black")
  func translation() {
    let frame = Self.testFrame()
    // Output (x, y) samples source (x + 10, y + 5).
    let inverse = SimilarityTransform(a: 1, b: 0, tx: 10, ty: 5)
    let warped = FaceAligner.warp(frame, inverse: inverse, width: 64, height: 48)
    #expect(warped.pixel(x: 0, y: 0) == frame.pixel(x: 10, y: 5))
    #expect(warped.pixel(x: 53, y: 42) == frame.pixel(x: 63, y: 47))
    #expect(warped.pixel(x: 60, y: 10) == (0, 0, 0))
    #expect(warped.pixel(x: 10, y: 45) == (0, 0, 0))
  }

  @Test("half-pixel shifts interpolate bilinearly")
  func bilinear() {
    var frame = BGRImage(width: 2, height: 1)
    frame.pixels = [0, 0, 0, 200, 100, 50]
    let warped = FaceAligner.warp(
      frame, inverse: SimilarityTransform(a: 1, b: 0, tx: 0.5, ty: 0), width: 1, height: 1)
    #expect(warped.pixel(x: 0, y: 0) == (100, 50, 25))
  }

  @Test("aligning landmarks placed on the template returns a crop whose template points match")
  func alignmentPutsLandmarksOnTemplate() throws {
    // Landmarks = template scaled ×3, rotated 20°, moved: the crop must be an exact inverse.
    let placement = SimilarityTransform(scale: 3, angle: 20 * .pi / 180, tx: 400, ty: 120)
    let landmarks = ArcFaceTemplate.points112.map(placement.apply)
    let forward = try #require(FaceAligner.transform(landmarks: landmarks, size: 112))
    for (landmark, target) in zip(landmarks, ArcFaceTemplate.points112) {
      let mapped = forward.apply(landmark)
      #expect(abs(mapped.x - target.x) < 1e-6 && abs(mapped.y - target.y) < 1e-6)
    }
    let crop224 = try #require(FaceAligner.transform(landmarks: landmarks, size: 224))
    #expect(abs(crop224.scale - 2 * forward.scale) < 1e-9)
    #expect(FaceAligner.transform(landmarks: Array(landmarks.prefix(4)), size: 112) == nil)
  }
}
