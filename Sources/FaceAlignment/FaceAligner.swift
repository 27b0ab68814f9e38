public import FaceHarvestCore

/// The ArcFace five-point template at 112×112: left eye, right eye, nose tip, left and right
/// mouth corners ("left" is the image-left point).
public enum ArcFaceTemplate {
  /// The template points in a 112×112 crop.
  public static let points112: [Point2D] = [
    Point2D(x: 38.2946, y: 51.6963), Point2D(x: 73.5318, y: 51.5014),
    Point2D(x: 56.0252, y: 71.7366), Point2D(x: 41.5493, y: 92.3655),
    Point2D(x: 70.7299, y: 92.2041),
  ]

  /// The template scaled to a `size`×`size` crop.
  public static func points(size: Int) -> [Point2D] {
    let factor = Double(size) / 112
    return points112.map { Point2D(x: $0.x * factor, y: $0.y * factor) }
  }
}

/// Aligns faces to the ArcFace template by a least-squares similarity transform and a bilinear
/// warp. Pixels that fall outside the source frame are black.
public enum FaceAligner {
  /// The transform from frame pixels to a `size`×`size` crop for five landmarks in frame pixels,
  /// or nil when the landmarks are degenerate.
  public static func transform(landmarks: [Point2D], size: Int) -> SimilarityTransform? {
    guard landmarks.count == 5 else { return nil }
    return SimilarityTransform.estimate(from: landmarks, to: ArcFaceTemplate.points(size: size))
  }

  /// The `size`×`size` aligned crop for five landmarks in frame pixels, or nil when the
  /// landmarks are degenerate.
  public static func align(_ image: BGRImage, landmarks: [Point2D], size: Int) -> BGRImage? {
    guard let forward = transform(landmarks: landmarks, size: size),
      let inverse = forward.inverse
    else { return nil }
    return warp(image, inverse: inverse, width: size, height: size)
  }

  /// Renders a `width`×`height` image whose pixel (x, y) samples `image` at `inverse(x, y)`
  /// bilinearly (pixel centres at integer coordinates, as OpenCV's warpAffine does).
  public static func warp(
    _ image: BGRImage, inverse: SimilarityTransform, width: Int, height: Int
  ) -> BGRImage {
    var output = [UInt8](repeating: 0, count: width * height * 3)
    let sourceWidth = image.width
    let sourceHeight = image.height
    let stride = image.rowStride
    image.pixels.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { destination in
        for y in 0..<height {
          // Source coordinates move linearly along a destination row.
          var sx = inverse.a * 0 - inverse.b * Double(y) + inverse.tx
          var sy = inverse.b * 0 + inverse.a * Double(y) + inverse.ty
          let stepX = inverse.a
          let stepY = inverse.b
          var out = y * width * 3
          for _ in 0..<width {
            defer {
              sx += stepX
              sy += stepY
              out += 3
            }
            let x0f = sx.rounded(.down)
            let y0f = sy.rounded(.down)
            guard x0f >= -1, y0f >= -1, x0f < Double(sourceWidth), y0f < Double(sourceHeight)
            else { continue }
            let x0 = Int(x0f)
            let y0 = Int(y0f)
            let fx = sx - x0f
            let fy = sy - y0f
            let weights = (
              (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
            )
            let inX0 = x0 >= 0
            let inX1 = x0 + 1 < sourceWidth
            let inY0 = y0 >= 0
            let inY1 = y0 + 1 < sourceHeight
            for channel in 0..<3 {
              var value = 0.0
              if inY0 {
                let row = y0 * stride + channel
                if inX0 { value += weights.0 * Double(source[row + x0 * 3]) }
                if inX1 { value += weights.1 * Double(source[row + (x0 + 1) * 3]) }
              }
              if inY1 {
                let row = (y0 + 1) * stride + channel
                if inX0 { value += weights.2 * Double(source[row + x0 * 3]) }
                if inX1 { value += weights.3 * Double(source[row + (x0 + 1) * 3]) }
              }
              destination[out + channel] = UInt8(min(255, max(0, value.rounded())))
            }
          }
        }
      }
    }
    return BGRImage(width: width, height: height, pixels: output)
  }

  /// Which pixels of the `size`×`size` alignment of `landmarks` lie inside a
  /// `frameWidth`×`frameHeight` frame (interpolated from frame pixels only), row-major; nil when
  /// the landmarks are degenerate. The rest is padding: black, neither face nor background
  /// (docs/harvest.md, "Faces at the frame edge").
  public static func inFrameMask(
    landmarks: [Point2D], size: Int, frameWidth: Int, frameHeight: Int
  ) -> [Bool]? {
    guard let inverse = transform(landmarks: landmarks, size: size)?.inverse else { return nil }
    let maxX = Double(frameWidth - 1)
    let maxY = Double(frameHeight - 1)
    var mask = [Bool](repeating: false, count: size * size)
    for y in 0..<size {
      for x in 0..<size {
        let sx = inverse.a * Double(x) - inverse.b * Double(y) + inverse.tx
        let sy = inverse.b * Double(x) + inverse.a * Double(y) + inverse.ty
        mask[y * size + x] = sx >= 0 && sy >= 0 && sx <= maxX && sy <= maxY
      }
    }
    return mask
  }
}
