import CFFmpeg
import Foundation
import Logging

/// An error from opening or decoding a video.
public enum VideoError: Error, CustomStringConvertible, LocalizedError {
  /// The file does not exist.
  case notFound(path: String)
  /// The path is not a regular file (a FIFO, a device, a folder): reading it could block forever.
  case notRegularFile(path: String, kind: String)
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
    case .notRegularFile(let path, let kind):
      return "video \(path) is a \(kind), not a regular file: refusing to read it"
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
  /// Every `n`-th frame from frame 0 (0, n, 2n, …): a detector's frame stride.
  case every(Int)

  /// Whether frame `index` is selected.
  public func contains(_ index: Int) -> Bool {
    switch self {
    case .all: return true
    case .none: return false
    case .only(let indices): return indices.contains(index)
    case .every(let step): return step <= 1 || index % step == 0
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
  /// Frames the last `decode` pass dropped without decoding (non-reference, not selected).
  public private(set) var skippedFrames = 0
  /// NAL length-prefix size of H.264 in MP4/MOV ("avcC" extradata); nil for other streams, which
  /// are always decoded in full.
  private let nalLengthSize: Int?

  /// Throws unless `path` (after following links) is a regular file: a FIFO named episode.mp4
  /// would block the decoder forever.
  static func requireRegularFile(_ path: String) throws {
    var status = stat()
    guard stat(path, &status) == 0 else { throw VideoError.notFound(path: path) }
    let kinds: [mode_t: String] = [
      S_IFIFO: "FIFO", S_IFCHR: "character device", S_IFBLK: "block device", S_IFDIR: "folder",
      S_IFSOCK: "socket",
    ]
    let type = status.st_mode & S_IFMT
    guard type == S_IFREG else {
      throw VideoError.notRegularFile(path: path, kind: kinds[type] ?? "special file")
    }
  }

  /// Opens `url`. `threads` 0 lets FFmpeg choose (one per core).
  public init(url: URL, threads: Int = 0, logger: Logger = Logger(label: "faceharvest.media"))
    throws
  {
    path = url.path
    self.logger = logger
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VideoError.notFound(path: url.path)
    }
    try Self.requireRegularFile(url.path)
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
    if let parameters = stream.pointee.codecpar, parameters.pointee.codec_id == AV_CODEC_ID_H264,
      parameters.pointee.extradata_size >= 7, let extradata = parameters.pointee.extradata,
      extradata[0] == 1
    {
      nalLengthSize = Int(extradata[4] & 3) + 1
    } else {
      nalLengthSize = nil
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
  /// decoded frame and returns `false` to stop early. Returns the number of frames in the
  /// stream (or up to the stop). A read or decode error throws `VideoError.decode` naming the
  /// frame.
  ///
  /// With an `.only` or `.every` selection on H.264 in MP4/MOV, packets of non-reference frames that no
  /// selected frame needs are not decoded at all (nothing refers to them), and `body` is not
  /// called for them. Frame indices then come from the rank of each frame's presentation
  /// timestamp among all packets read — the same presentation-order index a full decode counts.
  @discardableResult
  public func decode(images: FrameSelection, body: (DecodedFrame) throws -> Bool) throws -> Int {
    guard let context = codec.pointer else { return 0 }
    let frame = Frame()
    let converter = BGRConverter()
    guard let framePointer = frame.pointer else {
      throw VideoError.decode(path: path, frameIndex: 0, message: "out of memory")
    }
    var selective = false
    switch images {
    case .only: selective = true
    case .every(let step): selective = step > 1
    case .all, .none: selective = false
    }
    var skipping = selective && nalLengthSize != nil
    var ranks = PresentationRanks()
    var pending: [Packet] = []
    var framesOutput = 0
    var lastIndex = -1
    var packetsRead = 0
    var stopped = false
    skippedFrames = 0

    func drainFrames() throws {
      while !stopped {
        let status = avcodec_receive_frame(context, framePointer)
        if status == cffmpeg_averror_eagain() || status == cffmpeg_averror_eof() { return }
        guard status >= 0 else {
          throw VideoError.decode(
            path: path, frameIndex: lastIndex + 1, message: ffmpegErrorString(status))
        }
        defer { av_frame_unref(framePointer) }
        var pts = framePointer.pointee.pts
        if pts == cffmpeg_nopts_value() { pts = framePointer.pointee.best_effort_timestamp }
        let index: Int
        if skipping {
          guard pts != cffmpeg_nopts_value() else {
            throw VideoError.decode(
              path: path, frameIndex: lastIndex + 1, message: "a frame without a timestamp")
          }
          index = ranks.rank(of: pts)
        } else {
          index = framesOutput
        }
        guard index > lastIndex else {
          throw VideoError.decode(
            path: path, frameIndex: index, message: "presentation timestamps are not increasing")
        }
        framesOutput += 1
        lastIndex = index
        let timestamp =
          pts == cffmpeg_nopts_value()
          ? (info.frameRate > 0 ? Double(index) / info.frameRate : 0)
          : Double(pts - startTime) * Double(timeBase.num) / Double(timeBase.den)
        var image: BGRImage?
        if images.contains(index) {
          image = converter.convert(framePointer)
          if image == nil {
            throw VideoError.conversion(
              path: path, frameIndex: index, message: "sws_scale could not convert the frame")
          }
        }
        if !(try body(DecodedFrame(index: index, timestamp: timestamp, image: image))) {
          stopped = true
        }
      }
    }

    func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws {
      while !stopped {
        let status = avcodec_send_packet(context, packet)
        if status == cffmpeg_averror_eagain() {
          // The decoder wants its output read first; then the same packet goes again.
          try drainFrames()
          continue
        }
        if status == cffmpeg_averror_eof() { return }
        if status == cffmpeg_averror_invaliddata() {
          logger.warning(
            "corrupt packet skipped", metadata: ["video": "\(path)", "frame": "\(lastIndex + 1)"])
          return
        }
        guard status >= 0 else {
          throw VideoError.decode(
            path: path, frameIndex: lastIndex + 1, message: ffmpegErrorString(status))
        }
        try drainFrames()
        return
      }
    }

    /// Decodes (or, when nothing needs it, drops) the oldest packet read.
    func release(_ packet: Packet) throws {
      guard let pointer = packet.pointer else { return }
      defer { av_packet_unref(pointer) }
      if skipping, let nalLengthSize, pointer.pointee.pts != cffmpeg_nopts_value(),
        !images.contains(ranks.rank(of: pointer.pointee.pts)),
        Self.isDisposable(pointer, nalLengthSize: nalLengthSize)
      {
        skippedFrames += 1
        return
      }
      try send(pointer)
    }

    // Packets wait in a window longer than any H.264 reorder depth (16) before they are decoded
    // or dropped, so every packet presented earlier has been read and ranks are final.
    let window = skipping ? 24 : 0
    while !stopped {
      let packet = Packet()
      guard let pointer = packet.pointer else {
        throw VideoError.decode(path: path, frameIndex: lastIndex + 1, message: "out of memory")
      }
      let readStatus = av_read_frame(format.pointer, pointer)
      if readStatus == cffmpeg_averror_eof() { break }
      guard readStatus >= 0 else {
        throw VideoError.decode(
          path: path, frameIndex: lastIndex + 1, message: ffmpegErrorString(readStatus))
      }
      guard pointer.pointee.stream_index == streamIndex else {
        av_packet_unref(pointer)
        continue
      }
      packetsRead += 1
      if skipping {
        if pointer.pointee.pts == cffmpeg_nopts_value() {
          guard skippedFrames == 0, framesOutput == 0 else {
            throw VideoError.decode(
              path: path, frameIndex: lastIndex + 1, message: "a packet without a timestamp")
          }
          // No timestamps to rank by: decode everything and count.
          skipping = false
        } else {
          ranks.insert(pointer.pointee.pts)
        }
      }
      pending.append(packet)
      while pending.count > window && !stopped { try release(pending.removeFirst()) }
    }
    while !pending.isEmpty && !stopped { try release(pending.removeFirst()) }
    if !stopped {
      // Flush: a null packet puts the decoder in draining mode; receive until EOF.
      try send(nil)
      try drainFrames()
    }
    avcodec_flush_buffers(context)
    return stopped ? lastIndex + 1 : max(packetsRead, framesOutput)
  }

  /// Whether an H.264 access unit in length-prefixed (MP4) form holds only non-reference slices
  /// (`nal_ref_idc` 0), so no other frame depends on it.
  static func isDisposable(_ packet: UnsafeMutablePointer<AVPacket>, nalLengthSize: Int) -> Bool {
    guard let data = packet.pointee.data else { return false }
    let size = Int(packet.pointee.size)
    var offset = 0
    var sawSlice = false
    while offset + nalLengthSize < size {
      var length = 0
      for byte in 0..<nalLengthSize { length = length << 8 | Int(data[offset + byte]) }
      let header = data[offset + nalLengthSize]
      let type = header & 0x1F
      if (1...5).contains(type) {
        if header & 0x60 != 0 { return false }
        sawSlice = true
      }
      offset += nalLengthSize + length
    }
    return sawSlice
  }
}

/// Presentation timestamps read so far, sorted: a frame's presentation-order index is the
/// number of timestamps smaller than its own.
struct PresentationRanks {
  private var sorted: [Int64] = []

  mutating func insert(_ pts: Int64) {
    if let last = sorted.last, pts < last {
      sorted.insert(pts, at: lowerBound(pts))
    } else {
      sorted.append(pts)
    }
  }

  func rank(of pts: Int64) -> Int { lowerBound(pts) }

  private func lowerBound(_ pts: Int64) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle] < pts { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
