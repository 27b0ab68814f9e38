import CFFmpeg
import FaceHarvestCore
public import Foundation
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
struct DecodedFrame: Sendable {
  /// The frame's number, `frame_idx` (`FrameNumbering`).
  let index: Int
  /// Presentation time in seconds from the stream's start.
  let timestamp: Double
  /// The frame in BGR at the pass's size, or nil when the caller did not need its pixels.
  let image: BGRImage?
  /// The decoder's pixels of a selected frame, when the pass keeps them.
  let picture: VideoPicture?
  /// Decoded after a lost reference frame, before the next keyframe (`DamageTracker`).
  let damaged: Bool
}

/// Which frames a pass wants in BGR, by frame number (`frame_idx`).
public enum FrameSelection: Sendable {
  /// Every frame.
  case all
  /// No frame: decode only (counts and timestamps).
  case none
  /// The frames with these numbers.
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

/// Opens a video file and decodes it front to back in presentation order: the engine under
/// `FrameSource`, which every stage uses to read frames. Frames are numbered by the one scheme
/// of `FrameNumbering` (docs/detect_track.md, "Frame numbers").
///
/// Sendable only so that `FrameSource` can hand it to its decode thread: from then on that
/// thread alone uses it (the FFmpeg contexts are not thread-safe, and nothing else holds them).
final class VideoDecoder: @unchecked Sendable {
  let format: FormatContext
  let codec: CodecContext
  let streamIndex: Int32
  let timeBase: AVRational
  let startTime: Int64
  let logger: Logger
  /// The path the decoder reads.
  let path: String
  /// What the container declares about the stream.
  let info: VideoInfo
  /// Set for H.264 in length-prefixed form, whose non-reference packets can be told apart.
  let h264: LengthPrefixedH264?
  /// Frames the last `decode` pass dropped without decoding (non-reference, not selected).
  private(set) var skippedFrames = 0
  /// Numbers (`frame_idx`) of the keyframes the last pass read, ascending; encoders put one at
  /// most scene cuts (docs/detect_track.md, "Frame schedule").
  private(set) var keyframes: [Int] = []

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
  init(url: URL, threads: Int = 0, logger: Logger = Logger(label: "faceharvest.media")) throws {
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
    codec = try Self.openCodec(decoder, stream: stream, threads: threads, path: url.path)
    h264 = LengthPrefixedH264(stream.pointee.codecpar)
    timeBase = stream.pointee.time_base
    startTime = stream.pointee.start_time == cffmpeg_nopts_value() ? 0 : stream.pointee.start_time
    info = Self.info(of: stream, codec: codec, decoder: decoder)
  }

  /// A codec context for `stream`, opened with `threads` frame and slice threads.
  private static func openCodec(
    _ decoder: UnsafePointer<AVCodec>, stream: UnsafeMutablePointer<AVStream>, threads: Int,
    path: String
  ) throws -> CodecContext {
    let codec = try CodecContext(codec: decoder)
    guard let context = codec.pointer else { throw VideoError.noVideoStream(path: path) }
    var status = avcodec_parameters_to_context(context, stream.pointee.codecpar)
    guard status >= 0 else { throw VideoError.open(path: path, message: ffmpegErrorString(status)) }
    context.pointee.thread_count = Int32(max(0, threads))
    context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
    status = avcodec_open2(context, decoder, nil)
    guard status >= 0 else { throw VideoError.open(path: path, message: ffmpegErrorString(status)) }
    return codec
  }

  /// What the container declares about `stream`.
  private static func info(
    of stream: UnsafeMutablePointer<AVStream>, codec: CodecContext,
    decoder: UnsafePointer<AVCodec>
  ) -> VideoInfo {
    let timeBase = stream.pointee.time_base
    let rate = stream.pointee.avg_frame_rate
    let frameRate = rate.den > 0 ? Double(rate.num) / Double(rate.den) : 0
    let declared = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
    let duration: Double? =
      stream.pointee.duration != cffmpeg_nopts_value() && stream.pointee.duration > 0
      ? Double(stream.pointee.duration) * Double(timeBase.num) / Double(timeBase.den) : nil
    return VideoInfo(
      width: Int(codec.pointer?.pointee.width ?? 0),
      height: Int(codec.pointer?.pointee.height ?? 0),
      frameRate: frameRate, declaredFrameCount: declared, duration: duration,
      codecName: String(cString: decoder.pointee.name))
  }

  /// Seconds from the stream's start of presentation timestamp `pts`.
  func seconds(_ pts: Int64) -> Double {
    Double(pts - startTime) * Double(timeBase.num) / Double(timeBase.den)
  }

  /// Decodes the frames numbered `indices` by seeking (`SparseDecode`); false when the stream
  /// cannot be decoded that way (frames handed before that stay handed). Leaves the file at
  /// no particular place: a decoder that seeks decodes nothing else.
  func decodeSparse(_ indices: Set<Int>, body: (DecodedFrame) throws -> Void) throws -> Bool {
    guard let context = codec.pointer else { return false }
    defer { avcodec_flush_buffers(context) }
    return try SparseDecode(decoder: self, context: context).run(indices, body: body)
  }

  /// Decodes every frame in order, converting the `images` selection to BGR; `body` gets each
  /// decoded frame and returns `false` to stop early. Returns the number of frames in the
  /// stream (its packets), or up to the stop. A read or decode error throws `VideoError.decode`
  /// naming the frame; a corrupt packet the decoder rejects is logged and leaves a gap.
  ///
  /// With an `.only` or `.every` selection on length-prefixed H.264, packets of non-reference
  /// frames that no selected frame needs are not decoded at all (nothing refers to them), and
  /// `body` is not called for them. Frame numbers do not depend on that (`FrameNumbering`).
  /// Selected frames are converted to `size`; with `keepsPictures` each also carries the
  /// decoder's pixels (`VideoPicture`) for conversions at other sizes.
  @discardableResult
  func decode(
    images: FrameSelection, size: FrameSize = .full, keepsPictures: Bool = false,
    body: (DecodedFrame) throws -> Bool
  ) throws -> Int {
    guard let context = codec.pointer else { return 0 }
    defer { avcodec_flush_buffers(context) }
    return try withoutActuallyEscaping(body) { body in
      let pass = try DecodePass(
        decoder: self, context: context, selection: images, size: size,
        keepsPictures: keepsPictures, body: body)
      defer {
        skippedFrames = pass.skippedFrames
        keyframes = pass.keyframes
      }
      return try pass.run()
    }
  }
}
