public import FaceHarvestCore

/// What the harvest's gates measure on a face's 112×112 alignment: grey-level spread (blank),
/// flat share of the face region (painted, printed), Laplacian variance (blur). When part of the
/// crop lies outside the frame, each is measured on the in-frame part only: padding is neither
/// flat nor sharp (docs/harvest.md, "Faces at the frame edge").
public struct CropMeasures: Sendable, Equatable {
  /// Standard deviation of the in-frame grey levels.
  public var lumaDeviation: Double
  /// Share of the in-frame face region that is flat for its contrast.
  public var flatFraction: Double
  /// Variance of the Laplacian over the in-frame pixels.
  public var laplacianVariance: Double

  /// Measures `crop`; `inFrame` nil means every pixel is in the frame (the measures are then
  /// exactly those of the whole crop).
  public init(_ crop: BGRImage, inFrame: [Bool]?) {
    let gray = Sharpness.luma(crop)
    lumaDeviation = Sharpness.lumaDeviation(gray, inFrame: inFrame)
    flatFraction = Sharpness.flatFraction(
      gray: gray, width: crop.width, height: crop.height, inFrame: inFrame)
    laplacianVariance = Sharpness.laplacianVariance(
      gray: gray, width: crop.width, height: crop.height, inFrame: inFrame)
  }
}
