import FaceAlignment
import FaceHarvestCore
import FaceQuality
import Media

/// The aligned crops of one face, cut from its frame (docs/harvest.md): the model's input, the
/// 112×112 alignment blur is measured on, and the saved crop. A crop is nil where the landmarks
/// give no alignment.
struct FaceCrops: Sendable {
  /// The embedder's input, `inputSize`.
  var model: BGRImage?
  /// The 112×112 alignment (the model crop itself when the model takes 112×112).
  var blur: BGRImage?
  /// The saved crop, `thumb_size` square, when crops are saved.
  var thumb: BGRImage?
  /// Which pixels of `blur` are in the frame; nil when all of them are (docs/harvest.md,
  /// "Faces at the frame edge").
  var inFrame: [Bool]?
  /// Share of `blur` that is padding (outside the frame).
  var padding = 0.0

  /// Cuts the crops of the face with `landmarks` (frame pixels) out of `image`; `thumbSize`
  /// nil: no saved crop.
  init(
    landmarks: [Point2D], in image: BGRImage, inputSize: (width: Int, height: Int),
    thumbSize: Int?
  ) {
    model = FaceAligner.align(image, landmarks: landmarks, size: inputSize.width)
    blur =
      inputSize.width == 112 || model == nil
      ? model : FaceAligner.align(image, landmarks: landmarks, size: 112) ?? model
    thumb = thumbSize.flatMap { FaceAligner.align(image, landmarks: landmarks, size: $0) }
    if let blur,
      let mask = FaceAligner.inFrameMask(
        landmarks: landmarks, size: blur.width, frameWidth: image.width,
        frameHeight: image.height), mask.contains(false)
    {
      inFrame = mask
      padding = Sharpness.paddingFraction(mask)
    }
  }

  /// The 112×112 alignment alone (`blur`, with its in-frame mask): a review thumbnail's picture
  /// (docs/harvest.md, "Review thumbnails").
  init(reviewOf landmarks: [Point2D], in image: BGRImage) {
    self.init(landmarks: landmarks, in: image, inputSize: (112, 112), thumbSize: nil)
  }
}
