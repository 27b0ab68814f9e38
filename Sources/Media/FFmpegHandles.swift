import CFFmpeg

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

/// Owns a `SwsContext` for frame → BGR24 conversion, rebuilt when the source format changes.
final class BGRConverter {
  private var context: OpaquePointer?

  deinit { sws_freeContext(context) }

  func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> BGRImage? {
    let width = Int(frame.pointee.width)
    let height = Int(frame.pointee.height)
    guard width > 0, height > 0 else { return nil }
    context = sws_getCachedContext(
      context, Int32(width), Int32(height), AVPixelFormat(frame.pointee.format), Int32(width),
      Int32(height), AV_PIX_FMT_BGR24, SWS_BILINEAR, nil, nil, nil)
    guard let context else { return nil }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let rows = pixels.withUnsafeMutableBufferPointer { destination -> Int32 in
      var planes: [UnsafeMutablePointer<UInt8>?] = [destination.baseAddress, nil, nil, nil]
      var strides: [Int32] = [Int32(width * 3), 0, 0, 0]
      return withUnsafePointer(to: &frame.pointee.data) { dataTuple in
        dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
          withUnsafePointer(to: &frame.pointee.linesize) { linesizeTuple in
            linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
              sws_scale(context, sourcePlanes, sourceStrides, 0, Int32(height), &planes, &strides)
            }
          }
        }
      }
    }
    guard rows == Int32(height) else { return nil }
    return BGRImage(width: width, height: height, pixels: pixels)
  }
}
