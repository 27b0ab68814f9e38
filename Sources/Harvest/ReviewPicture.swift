import FaceAlignment
import FaceHarvestCore
import FaceQuality
import Media

/// The picture of a track's review face (docs/harvest.md, "Review thumbnails"): its 112×112
/// alignment, or, when it has no usable landmarks or the alignment shows no face (its face region blank: a flat painted shape, a
/// lamp), the face's box in its surroundings — a square twice the box's longer side, moved inside the frame,
/// scaled to 112×112 by swscale — so the reviewer sees what the detector fired on. Nil when
/// that is blank too (as a whole): a blank picture is never written.
enum ReviewPicture {
  /// The thumbnails' side in pixels (the alignment gates are measured on).
  static let side = 112

  static func make(_ face: PlannedFace, in image: BGRImage) -> BGRImage? {
    let crops = FaceCrops(reviewOf: face.landmarkPoints, in: image)
    if let aligned = crops.blur, !isBlank(aligned, inFrame: crops.inFrame) { return aligned }
    guard let context = context(of: face.bbox, in: image),
      Sharpness.lumaDeviation(Sharpness.luma(context)) >= Sharpness.blankDeviation
    else { return nil }
    return context
  }

  /// Whether the face region of the in-frame part of an alignment has too little grey-level
  /// spread to show a face (the gates' `blank_crop` test).
  static func isBlank(_ aligned: BGRImage, inFrame: [Bool]?) -> Bool {
    CropMeasures(aligned, inFrame: inFrame).lumaDeviation < Sharpness.blankDeviation
  }

  /// The square around normalised `bbox` (twice its longer side, inside the frame as far as
  /// it fits), at `side`×`side`.
  static func context(of bbox: [Double], in image: BGRImage) -> BGRImage? {
    guard bbox.count == 4, image.width > 0, image.height > 0 else { return nil }
    let boxWidth = (bbox[2] - bbox[0]) * Double(image.width)
    let boxHeight = (bbox[3] - bbox[1]) * Double(image.height)
    let square = min(
      Int((2 * max(boxWidth, boxHeight)).rounded()), image.width, image.height)
    guard square >= 2 else { return nil }
    let centreX = (bbox[0] + bbox[2]) / 2 * Double(image.width)
    let centreY = (bbox[1] + bbox[3]) / 2 * Double(image.height)
    let left = min(max(0, Int(centreX) - square / 2), image.width - square)
    let top = min(max(0, Int(centreY) - square / 2), image.height - square)
    return image.cropped(x: left, y: top, width: square, height: square)?
      .resized(width: side, height: side)
  }
}
