import CFFmpeg
import FaceHarvestCore

func ffmpegErrorString(_ code: Int32) -> String {
  var buffer = [CChar](repeating: 0, count: 256)
  return buffer.withUnsafeMutableBufferPointer { pointer in
    String(cString: cffmpeg_error_string(code, pointer.baseAddress, pointer.count))
  }
}

/// Owns an `AVFormatContext` opened for input.
final class FormatContext {
  var pointer: UnsafeMutablePointer<AVFormatContext>?

  init(path: String) throws {
    let status = avformat_open_input(&pointer, path, nil, nil)
    guard status >= 0, pointer != nil else {
      throw VideoError.open(path: path, message: ffmpegErrorString(status))
    }
    let probe = avformat_find_stream_info(pointer, nil)
    guard probe >= 0 else {
      throw VideoError.open(path: path, message: ffmpegErrorString(probe))
    }
  }

  deinit { avformat_close_input(&pointer) }
}

/// Owns an `AVCodecContext`.
final class CodecContext {
  var pointer: UnsafeMutablePointer<AVCodecContext>?

  init(codec: UnsafePointer<AVCodec>) throws {
    pointer = avcodec_alloc_context3(codec)
    guard pointer != nil else {
      throw VideoError.open(path: "", message: "avcodec_alloc_context3 failed")
    }
  }

  deinit { avcodec_free_context(&pointer) }
}

/// Owns an `AVPacket`.
final class Packet {
  var pointer: UnsafeMutablePointer<AVPacket>?
  init() { pointer = av_packet_alloc() }
  deinit { av_packet_free(&pointer) }
}

/// Owns an `AVFrame`.
final class Frame {
  var pointer: UnsafeMutablePointer<AVFrame>?
  init() { pointer = av_frame_alloc() }
  deinit { av_frame_free(&pointer) }
}

/// Owns a `SwsContext` that converts decoded frames to BGR24 at any size, rebuilt only when the
/// source format or either size changes (docs/detect_track.md, "Detector input"). A same-size
/// conversion uses `SWS_BILINEAR` (chroma upsampling only); a resize uses `SWS_FAST_BILINEAR`,
/// two-tap without smoothing, as the detectors' training pipelines downscale.
final class FrameScaler {
  private var context: OpaquePointer?

  deinit { sws_freeContext(context) }

  /// `frame` as BGR at `width`×`height` (its own size when nil); nil when swscale refuses.
  func convert(_ frame: UnsafePointer<AVFrame>, width: Int? = nil, height: Int? = nil)
    -> BGRImage?
  {
    let sourceWidth = Int(frame.pointee.width)
    let sourceHeight = Int(frame.pointee.height)
    let width = width ?? sourceWidth
    let height = height ?? sourceHeight
    guard sourceWidth > 0, sourceHeight > 0, width > 0, height > 0 else { return nil }
    let resizes = width != sourceWidth || height != sourceHeight
    context = sws_getCachedContext(
      context, Int32(sourceWidth), Int32(sourceHeight), AVPixelFormat(frame.pointee.format),
      Int32(width), Int32(height), AV_PIX_FMT_BGR24, resizes ? SWS_FAST_BILINEAR : SWS_BILINEAR,
      nil, nil, nil)
    guard let context else { return nil }
    var rows: Int32 = 0
    // Every byte is written by sws_scale: no zero fill (a 720p frame is 2.7 MB per frame).
    let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
      var planes: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
      var strides: [Int32] = [Int32(width * 3), 0, 0, 0]
      rows = withUnsafePointer(to: frame.pointee.data) { dataTuple in
        dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
          withUnsafePointer(to: frame.pointee.linesize) { linesizeTuple in
            linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
              sws_scale(
                context, sourcePlanes, sourceStrides, 0, Int32(sourceHeight), &planes, &strides)
            }
          }
        }
      }
      count = rows == Int32(height) ? buffer.count : 0
    }
    guard rows == Int32(height) else { return nil }
    return BGRImage(width: width, height: height, pixels: pixels)
  }
}
