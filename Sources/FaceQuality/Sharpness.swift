public import FaceHarvestCore

/// Image sharpness by the variance of the Laplacian.
public enum Sharpness {
  /// 8-bit luma of a BGR image, rounded as OpenCV's `cvtColor(BGR2GRAY)` does
  /// (0.114 B + 0.587 G + 0.299 R).
  public static func luma(_ image: BGRImage) -> [UInt8] {
    var gray = [UInt8](repeating: 0, count: image.width * image.height)
    image.pixels.withUnsafeBufferPointer { source in
      gray.withUnsafeMutableBufferPointer { destination in
        for index in 0..<destination.count {
          let offset = index * 3
          // Fixed point with 14 fractional bits, like OpenCV.
          let value =
            1868 * Int(source[offset]) + 9617 * Int(source[offset + 1]) + 4899
            * Int(source[offset + 2])
          destination[index] = UInt8((value + (1 << 13)) >> 14)
        }
      }
    }
    return gray
  }

  /// Variance of the 3×3 Laplacian `[0 1 0; 1 −4 1; 0 1 0]` over every pixel of a grayscale
  /// image, with reflect-101 borders (OpenCV's default), i.e.
  /// `cv2.Laplacian(gray, cv2.CV_64F).var()`. Zero for images smaller than 2×2.
  ///
  /// With `inFrame` (a crop that reaches past the frame edge: docs/harvest.md, "Faces at the
  /// frame edge"), only pixels whose four neighbours are in the frame count: the step between
  /// picture and padding is no detail of the face. Zero when no pixel counts.
  public static func laplacianVariance(
    gray: [UInt8], width: Int, height: Int, inFrame: [Bool]? = nil
  ) -> Double {
    precondition(gray.count == width * height && (inFrame?.count ?? gray.count) == gray.count)
    guard width >= 2, height >= 2 else { return 0 }
    func reflect(_ index: Int, _ size: Int) -> Int {
      index < 0 ? -index : (index >= size ? 2 * size - 2 - index : index)
    }
    var sum = 0.0
    var sumOfSquares = 0.0
    var count = 0
    gray.withUnsafeBufferPointer { pixels in
      for y in 0..<height {
        let up = reflect(y - 1, height) * width
        let row = y * width
        let down = reflect(y + 1, height) * width
        for x in 0..<width {
          let left = reflect(x - 1, width)
          let right = reflect(x + 1, width)
          if let inFrame,
            !(inFrame[row + x] && inFrame[up + x] && inFrame[down + x] && inFrame[row + left]
              && inFrame[row + right])
          {
            continue
          }
          let laplacian =
            Int(pixels[up + x]) + Int(pixels[down + x]) + Int(pixels[row + left])
            + Int(pixels[row + right]) - 4 * Int(pixels[row + x])
          let value = Double(laplacian)
          sum += value
          sumOfSquares += value * value
          count += 1
        }
      }
    }
    guard count > 0 else { return 0 }
    let mean = sum / Double(count)
    return max(0, sumOfSquares / Double(count) - mean * mean)
  }

  /// Laplacian variance of a BGR image's luma.
  public static func laplacianVariance(_ image: BGRImage) -> Double {
    laplacianVariance(gray: luma(image), width: image.width, height: image.height)
  }

  /// Share of the face region of an aligned grayscale crop (rows 21–89 %, columns 18–82 %: eyes,
  /// nose, mouth, cheeks) that is flat for its contrast: pixels whose differences to their right
  /// and lower neighbours are both at most 5 % of the region's grey-level standard deviation.
  /// Skin has shading and texture everywhere, in the dark too; a painted or printed surface, a
  /// lamp shade, a cartoon or an on-screen graphic is smooth areas between sharp contours
  /// (docs/harvest.md).
  ///
  /// With `inFrame`, only region pixels that are in the frame with their right and lower
  /// neighbours count (padding is not flat skin); zero when less than a quarter of the region
  /// does (too little to judge).
  public static func flatFraction(
    gray: [UInt8], width: Int, height: Int, inFrame: [Bool]? = nil
  ) -> Double {
    precondition(gray.count == width * height && (inFrame?.count ?? gray.count) == gray.count)
    let rows = (height * 21 / 100)..<(height * 89 / 100)
    let columns = (width * 18 / 100)..<(width * 82 / 100)
    guard !rows.isEmpty, !columns.isEmpty, rows.upperBound < height, columns.upperBound < width
    else { return 0 }
    func judged(_ index: Int) -> Bool {
      guard let inFrame else { return true }
      return inFrame[index] && inFrame[index + 1] && inFrame[index + width]
    }
    var sum = 0.0
    var sumOfSquares = 0.0
    var count = 0
    for y in rows {
      for x in columns where judged(y * width + x) {
        let value = Double(gray[y * width + x])
        sum += value
        sumOfSquares += value * value
        count += 1
      }
    }
    guard count > 0, count * 4 >= rows.count * columns.count else { return 0 }
    let mean = sum / Double(count)
    let tolerance = 0.05 * max(0, sumOfSquares / Double(count) - mean * mean).squareRoot()
    var flat = 0
    for y in rows {
      for x in columns where judged(y * width + x) {
        let value = Int(gray[y * width + x])
        if Double(abs(value - Int(gray[y * width + x + 1]))) <= tolerance
          && Double(abs(value - Int(gray[(y + 1) * width + x]))) <= tolerance
        {
          flat += 1
        }
      }
    }
    return Double(flat) / Double(count)
  }

  /// Grey-level standard deviation below which a crop counts as blank (never written).
  public static let blankDeviation = 2.0

  /// Standard deviation of grey levels: near 0 for a blank (uniform) crop. With `inFrame`, of
  /// the in-frame pixels only.
  public static func lumaDeviation(_ gray: [UInt8], inFrame: [Bool]? = nil) -> Double {
    var sum = 0.0
    var sumOfSquares = 0.0
    var count = 0
    for (index, value) in gray.enumerated() where inFrame?[index] ?? true {
      sum += Double(value)
      sumOfSquares += Double(value) * Double(value)
      count += 1
    }
    guard count > 0 else { return 0 }
    let mean = sum / Double(count)
    return max(0, sumOfSquares / Double(count) - mean * mean).squareRoot()
  }

  /// Share of `inFrame` that is false: how much of an aligned crop is padding (docs/harvest.md,
  /// "Faces at the frame edge").
  public static func paddingFraction(_ inFrame: [Bool]) -> Double {
    guard !inFrame.isEmpty else { return 0 }
    return Double(inFrame.lazy.filter { !$0 }.count) / Double(inFrame.count)
  }
}
