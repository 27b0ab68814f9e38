import CFFmpeg
public import FaceHarvestCore

/// The size a `FrameSource` converts its selected frames to.
public enum FrameSize: Sendable, Equatable {
  /// The video's own size.
  case full
  /// `width`×`height` pixels, whatever the video's aspect (a detector's input size).
  case fixed(width: Int, height: Int)
}

/// A decoded frame's pixels as the decoder made them (its planes, shared with the decoder by
/// reference count), to convert to BGR at another size later: the frame a stage analysed at
/// the detector's size can still give its full-size pixels (docs/detect_track.md, "Detector
/// input"). Immutable once made, so any thread may read it.
public final class VideoPicture: @unchecked Sendable {
  // Written once in `init`, read only (by swscale) after; freed in `deinit`.
  private let frame: UnsafeMutablePointer<AVFrame>
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int

  /// A new reference to `source`'s pixels; nil when FFmpeg cannot allocate it.
  init?(referencing source: UnsafePointer<AVFrame>) {
    guard let clone = av_frame_clone(source) else { return nil }
    frame = clone
    width = Int(source.pointee.width)
    height = Int(source.pointee.height)
  }

  deinit {
    var pointer: UnsafeMutablePointer<AVFrame>? = frame
    av_frame_free(&pointer)
  }

  /// The picture in BGR at `width`×`height` (its own size when nil), converted by `scaler`;
  /// nil when swscale refuses the sizes.
  public func image(width: Int? = nil, height: Int? = nil, scaler: PictureScaler) -> BGRImage? {
    scaler.scaler.convert(frame, width: width, height: height)
  }
}

/// Converts `VideoPicture`s to BGR, keeping swscale's context between calls of the same sizes.
/// Not thread-safe: one per thread that converts.
public final class PictureScaler {
  let scaler = FrameScaler()

  /// A scaler.
  public init() {}
}
