import Artifacts
public import FaceHarvestCore
import Media

/// Finds hard cuts from colour-histogram changes between consecutive analysed frames.
///
/// Each frame is summarised by a normalised 4×4×4 BGR histogram of every `sampleStep`-th pixel
/// in each direction. A cut is declared before a frame whose histogram differs from the previous
/// one by more than `threshold` (half the L1 distance: 0 identical, 1 disjoint), provided at
/// least `minimumShotLength` frames have passed since the last cut.
public struct SceneCutDetector: Sendable {
  /// Histogram distance above which a change is a cut.
  public var threshold: Double
  /// Fewest frames between two cuts.
  public var minimumShotLength: Int
  /// Pixel subsampling step.
  public var sampleStep: Int
  private var previous: [Double]?
  private var framesSinceCut = 0

  /// Creates a detector.
  /// The default threshold sits between the sample episode's largest change inside a shot (0.013,
  /// zooms and pans) and its smallest hard cut (0.33).
  public init(threshold: Double = 0.15, minimumShotLength: Int = 10, sampleStep: Int = 4) {
    self.threshold = threshold
    self.minimumShotLength = max(1, minimumShotLength)
    self.sampleStep = max(1, sampleStep)
  }

  /// The normalised 64-bin histogram of a frame.
  public func histogram(_ image: BGRImage) -> [Double] {
    var bins = [Double](repeating: 0, count: 64)
    var count = 0.0
    image.pixels.withUnsafeBufferPointer { pixels in
      var y = 0
      while y < image.height {
        var x = 0
        while x < image.width {
          let offset = y * image.rowStride + x * 3
          let bin =
            Int(pixels[offset] >> 6) << 4 | Int(pixels[offset + 1] >> 6) << 2
            | Int(pixels[offset + 2] >> 6)
          bins[bin] += 1
          count += 1
          x += sampleStep
        }
        y += sampleStep
      }
    }
    return count > 0 ? bins.map { $0 / count } : bins
  }

  /// Half the L1 distance between two normalised histograms, in [0, 1].
  public static func distance(_ a: [Double], _ b: [Double]) -> Double { histogramDistance(a, b) }

  /// Feeds the next analysed frame; true when a cut lies between it and the previous frame.
  public mutating func isCut(before image: BGRImage) -> Bool {
    isCut(before: histogram(image))
  }

  /// Feeds the next analysed frame by its `histogram(_:)`, for a caller that keeps the
  /// histogram too (the shots of `shots.jsonl`); true when a cut lies before it.
  public mutating func isCut(before current: [Double]) -> Bool {
    defer { previous = current }
    framesSinceCut += 1
    guard let previous else { return false }
    guard Self.distance(previous, current) > threshold, framesSinceCut >= minimumShotLength else {
      return false
    }
    framesSinceCut = 0
    return true
  }
}
