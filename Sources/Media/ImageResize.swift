import CFFmpeg
public import FaceHarvestCore

extension BGRImage {
  /// The image scaled to `width`×`height` by FFmpeg's swscale; nil when swscale refuses the
  /// sizes. Two-tap bilinear without smoothing (`SWS_FAST_BILINEAR`), as `cv2.resize`'s default
  /// and the detectors' training pipelines downscale: swscale's smoothing `SWS_BILINEAR` blurs
  /// small faces and lost 5 % of identity recall on sample-s01e02 (docs/detect_track.md).
  public func resized(width: Int, height: Int) -> BGRImage? {
    guard width > 0, height > 0, self.width > 0, self.height > 0 else { return nil }
    if width == self.width && height == self.height { return self }
    guard
      let context = sws_getContext(
        Int32(self.width), Int32(self.height), AV_PIX_FMT_BGR24, Int32(width), Int32(height),
        AV_PIX_FMT_BGR24, SWS_FAST_BILINEAR, nil, nil, nil)
    else { return nil }
    defer { sws_freeContext(context) }
    var output = [UInt8](repeating: 0, count: width * height * 3)
    let rows = pixels.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { destination in
        var sourcePlanes: [UnsafePointer<UInt8>?] = [source.baseAddress, nil, nil, nil]
        var sourceStrides: [Int32] = [Int32(rowStride), 0, 0, 0]
        var planes: [UnsafeMutablePointer<UInt8>?] = [destination.baseAddress, nil, nil, nil]
        var strides: [Int32] = [Int32(width * 3), 0, 0, 0]
        return sws_scale(
          context, &sourcePlanes, &sourceStrides, 0, Int32(self.height), &planes, &strides)
      }
    }
    guard rows == Int32(height) else { return nil }
    return BGRImage(width: width, height: height, pixels: output)
  }
}
