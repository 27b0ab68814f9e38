import CFFmpeg
import Foundation
import Logging

/// An error from opening or decoding a video.
public enum VideoError: Error, CustomStringConvertible, LocalizedError {
  /// The file does not exist.
  case notFound(path: String)
  /// FFmpeg could not open or probe the file.
  case open(path: String, message: String)
  /// The file has no video stream FFmpeg can decode.
  case noVideoStream(path: String)
  /// Decoding failed part-way (a corrupt or truncated stream).
  case decode(path: String, frameIndex: Int, message: String)
  /// A frame's size or pixel format could not be converted to BGR.
  case conversion(path: String, frameIndex: Int, message: String)

  public var description: String {
    switch self {
    case .notFound(let path): return "video not found: \(path)"
    case .open(let path, let message): return "cannot open video \(path): \(message)"
    case .noVideoStream(let path): return "no decodable video stream in \(path)"
    case .decode(let path, let frameIndex, let message):
      return "decoding \(path) failed at frame \(frameIndex): \(message)"
    case .conversion(let path, let frameIndex, let message):
      return "converting frame \(frameIndex) of \(path) to BGR failed: \(message)"
    }
  }

  public var errorDescription: String? { description }
}

/// What the container says about the video stream.
public struct VideoInfo: Sendable, Equatable {
  /// Coded width in pixels.
  public let width: Int
  /// Coded height in pixels.
  public let height: Int
  /// Average frame rate (frames per second), 0 when unknown.
  public let frameRate: Double
  /// The frame count the container declares, when it declares one.
  public let declaredFrameCount: Int?
  /// Duration in seconds, when known.
  public let duration: Double?
  /// FFmpeg's short name of the codec (for example "h264").
  public let codecName: String
}

/// One decoded frame. `image` is present only when the caller asked for it.
public struct DecodedFrame: Sendable {
  /// Presentation-order index from 0.
  public let index: Int
  /// Presentation time in seconds from the stream's start.
  public let timestamp: Double
  /// The frame in BGR, or nil when the caller did not need its pixels.
  public let image: BGRImage?
}

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

/// Which decoded frames are converted to BGR.
public enum FrameSelection: Sendable {
  /// Every frame.
  case all
  /// No frame: decode only (counts and timestamps).
  case none
  /// The frames with these presentation-order indices.
  case only(Set<Int>)

  /// Whether frame `index` is selected.
  public func contains(_ index: Int) -> Bool {
    switch self {
    case .all: return true
    case .none: return false
    case .only(let indices): return indices.contains(index)
    }
  }
}

/// Decodes a video file once, front to back, in presentation order.
///
/// Frame indices count decoded frames from 0 in presentation order. Only frames the caller asks
/// for are converted to BGR, so a pass that needs few frames costs little more than decoding.
public final class VideoDecoder {
  private let format: FormatContext
  private let codec: CodecContext
  private let streamIndex: Int32
  private let timeBase: AVRational
  private let startTime: Int64
  private let logger: Logger
  /// The path the decoder reads.
  public let path: String
  /// What the container declares about the stream.
  public let info: VideoInfo

  /// Opens `url`. `threads` 0 lets FFmpeg choose (one per core).
  public init(url: URL, threads: Int = 0, logger: Logger = Logger(label: "faceharvest.media"))
    throws
  {
    path = url.path
    self.logger = logger
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VideoError.notFound(path: url.path)
    }
    format = try FormatContext(path: url.path)
    var decoder: UnsafePointer<AVCodec>?
    let index = av_find_best_stream(format.pointer, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
    guard index >= 0, let decoder, let stream = format.pointer?.pointee.streams[Int(index)] else {
      throw VideoError.noVideoStream(path: url.path)
    }
    streamIndex = index
    codec = try CodecContext(codec: decoder)
    guard let context = codec.pointer else { throw VideoError.noVideoStream(path: url.path) }
    var status = avcodec_parameters_to_context(context, stream.pointee.codecpar)
    guard status >= 0 else {
      throw VideoError.open(path: url.path, message: ffmpegErrorString(status))
    }
    context.pointee.thread_count = Int32(max(0, threads))
    context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
    status = avcodec_open2(context, decoder, nil)
    guard status >= 0 else {
      throw VideoError.open(path: url.path, message: ffmpegErrorString(status))
    }
    timeBase = stream.pointee.time_base
    startTime = stream.pointee.start_time == cffmpeg_nopts_value() ? 0 : stream.pointee.start_time
    let rate = stream.pointee.avg_frame_rate
    let frameRate = rate.den > 0 ? Double(rate.num) / Double(rate.den) : 0
    let declared = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
    let duration: Double? =
      stream.pointee.duration != cffmpeg_nopts_value() && stream.pointee.duration > 0
      ? Double(stream.pointee.duration) * Double(timeBase.num) / Double(timeBase.den) : nil
    info = VideoInfo(
      width: Int(context.pointee.width), height: Int(context.pointee.height), frameRate: frameRate,
      declaredFrameCount: declared, duration: duration,
      codecName: String(cString: decoder.pointee.name))
  }

  /// Decodes every frame in order, converting the `images` selection to BGR; `body` gets each
  /// frame and returns `false` to stop early. Returns the number of frames decoded. A read or
  /// decode error throws `VideoError.decode` naming the frame.
  @discardableResult
  public func decode(images: FrameSelection, body: (DecodedFrame) throws -> Bool) throws -> Int {
    guard let context = codec.pointer else { return 0 }
    let packet = Packet()
    let frame = Frame()
    let converter = BGRConverter()
    guard let packetPointer = packet.pointer, let framePointer = frame.pointer else {
      throw VideoError.decode(path: path, frameIndex: 0, message: "out of memory")
    }
    var frameIndex = 0
    var stopped = false

    func drainFrames() throws {
      while !stopped {
        let status = avcodec_receive_frame(context, framePointer)
        if status == cffmpeg_averror_eagain() || status == cffmpeg_averror_eof() { return }
        guard status >= 0 else {
          throw VideoError.decode(
            path: path, frameIndex: frameIndex, message: ffmpegErrorString(status))
        }
        defer { av_frame_unref(framePointer) }
        let pts = framePointer.pointee.best_effort_timestamp
        let timestamp =
          pts == cffmpeg_nopts_value()
          ? (info.frameRate > 0 ? Double(frameIndex) / info.frameRate : 0)
          : Double(pts - startTime) * Double(timeBase.num) / Double(timeBase.den)
        var image: BGRImage?
        if images.contains(frameIndex) {
          image = converter.convert(framePointer)
          if image == nil {
            throw VideoError.conversion(
              path: path, frameIndex: frameIndex, message: "sws_scale could not convert the frame")
          }
        }
        let keepGoing = try body(
          DecodedFrame(index: frameIndex, timestamp: timestamp, image: image))
        frameIndex += 1
        if !keepGoing { stopped = true }
      }
    }

    while !stopped {
      let readStatus = av_read_frame(format.pointer, packetPointer)
      if readStatus == cffmpeg_averror_eof() { break }
      guard readStatus >= 0 else {
        throw VideoError.decode(
          path: path, frameIndex: frameIndex, message: ffmpegErrorString(readStatus))
      }
      defer { av_packet_unref(packetPointer) }
      guard packetPointer.pointee.stream_index == streamIndex else { continue }
      let sendStatus = avcodec_send_packet(context, packetPointer)
      if sendStatus < 0 && sendStatus != cffmpeg_averror_eagain() {
        if sendStatus == cffmpeg_averror_invaliddata() {
          logger.warning(
            "corrupt packet skipped", metadata: ["video": "\(path)", "frame": "\(frameIndex)"])
          continue
        }
        throw VideoError.decode(
          path: path, frameIndex: frameIndex, message: ffmpegErrorString(sendStatus))
      }
      try drainFrames()
    }
    if !stopped {
      // Flush: a null packet puts the decoder in draining mode; receive until EOF.
      _ = avcodec_send_packet(context, nil)
      try drainFrames()
    }
    avcodec_flush_buffers(context)
    return frameIndex
  }
}
