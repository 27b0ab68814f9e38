import CFFmpeg
import FaceHarvestCore
import Logging

/// One front-to-back pass of a `VideoDecoder`: reads the stream's packets, numbers frames
/// (`FrameNumbering`), drops the non-reference packets no selected frame needs, decodes the
/// rest and hands each decoded frame to `body` in presentation order.
final class DecodePass {
  /// Packets wait this many reads before they are decoded or dropped: longer than any H.264
  /// reorder depth (16), so every packet presented earlier has been read and numbers are final.
  static let window = 24

  private let decoder: VideoDecoder
  private let context: UnsafeMutablePointer<AVCodecContext>
  private let selection: FrameSelection
  private let body: (DecodedFrame) throws -> Bool
  private let frame = Frame()
  private let scaler = FrameScaler()
  private let size: FrameSize
  private let keepsPictures: Bool
  /// Set when non-reference packets no selected frame needs may be dropped undecoded.
  private let skippable: LengthPrefixedH264?
  private var numbering = FrameNumbering()
  private var damage = DamageTracker<DecodedFrame>()
  private var pending: [Packet] = []
  private var lastIndex = -1
  /// The last frame handed to `body` (frames wait in the damage tracker after `lastIndex`).
  private var lastHanded = -1
  private var packetsRead = 0
  private var framesOutput = 0
  private var stopped = false
  /// Packets dropped without decoding.
  private(set) var skippedFrames = 0
  /// Presentation timestamps of the keyframes (packets flagged key) read.
  private var keyframeTimestamps: [Int64] = []
  /// Numbers of the keyframes read, ascending: ranked once the pass is over, when every packet
  /// presented before a keyframe has been read (an open GOP's leading frames come after it).
  var keyframes: [Int] { keyframeTimestamps.map(numbering.number(ofPacket:)).sorted() }
  private var damagedFrames = 0

  init(
    decoder: VideoDecoder, context: UnsafeMutablePointer<AVCodecContext>,
    selection: FrameSelection, size: FrameSize, keepsPictures: Bool,
    body: @escaping (DecodedFrame) throws -> Bool
  ) throws {
    guard frame.pointer != nil else {
      throw VideoError.decode(path: decoder.path, frameIndex: 0, message: "out of memory")
    }
    self.decoder = decoder
    self.context = context
    self.selection = selection
    self.size = size
    self.keepsPictures = keepsPictures
    self.body = body
    switch selection {
    case .only: skippable = decoder.h264
    case .every(let step): skippable = step > 1 ? decoder.h264 : nil
    case .all, .none: skippable = nil
    }
  }

  /// Runs the pass; returns the frames in the stream (its packets), or up to the stop.
  func run() throws -> Int {
    while !stopped, let packet = try readPacket() {
      do {
        try numbering.record(packetPTS: Self.timestamp(packet.pointer?.pointee.pts))
      } catch {
        throw failure(
          "a packet without a timestamp among packets with one: frame numbers would be ambiguous")
      }
      pending.append(packet)
      let window = numbering.mode == .presentationRank ? Self.window : 0
      while pending.count > window && !stopped { try release(pending.removeFirst()) }
    }
    while !pending.isEmpty && !stopped { try release(pending.removeFirst()) }
    if !stopped {
      // Flush: a null packet puts the decoder in draining mode; receive until EOF.
      try send(nil)
      try drain()
      try hand(damage.finish())
    }
    if damagedFrames > 0 {
      decoder.logger.warning(
        "frames after a corrupt reference frame, up to the next keyframe, are marked damaged",
        metadata: ["video": "\(decoder.path)", "frames": "\(damagedFrames)"])
    }
    return stopped ? lastHanded + 1 : max(packetsRead, framesOutput)
  }

  private static func timestamp(_ pts: Int64?) -> Int64? {
    guard let pts, pts != cffmpeg_nopts_value() else { return nil }
    return pts
  }

  private func failure(_ message: String) -> VideoError {
    VideoError.decode(path: decoder.path, frameIndex: lastIndex + 1, message: message)
  }

  /// The next packet of the video stream; nil at the end of the file.
  private func readPacket() throws -> Packet? {
    while true {
      let packet = Packet()
      guard let pointer = packet.pointer else { throw failure("out of memory") }
      let status = av_read_frame(decoder.format.pointer, pointer)
      if status == cffmpeg_averror_eof() { return nil }
      guard status >= 0 else { throw failure(ffmpegErrorString(status)) }
      if pointer.pointee.stream_index == decoder.streamIndex {
        packetsRead += 1
        return packet
      }
      av_packet_unref(pointer)
    }
  }

  /// Decodes (or, when nothing needs it, drops) the oldest packet read.
  private func release(_ packet: Packet) throws {
    guard let pointer = packet.pointer else { return }
    defer { av_packet_unref(pointer) }
    if isDroppable(pointer) {
      skippedFrames += 1
      damage.skipped()
      return
    }
    if numbering.mode == .presentationRank, let pts = Self.timestamp(pointer.pointee.pts) {
      let isKeyframe = pointer.pointee.flags & AV_PKT_FLAG_KEY != 0
      if isKeyframe { keyframeTimestamps.append(pts) }
      damage.sent(
        number: numbering.number(ofPacket: pts), isKeyframe: isKeyframe,
        isReference: !(decoder.h264?.isDisposable(pointer) ?? false))
    }
    try send(pointer)
  }

  /// A non-reference packet whose frame is not selected: nothing needs it decoded.
  private func isDroppable(_ packet: UnsafeMutablePointer<AVPacket>) -> Bool {
    guard let skippable, numbering.mode == .presentationRank,
      let pts = Self.timestamp(packet.pointee.pts)
    else { return false }
    return !selection.contains(numbering.number(ofPacket: pts)) && skippable.isDisposable(packet)
  }

  private func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws {
    while !stopped {
      let status = avcodec_send_packet(context, packet)
      if status == cffmpeg_averror_eagain() {
        // The decoder wants its output read first; then the same packet goes again.
        try drain()
        continue
      }
      if status == cffmpeg_averror_eof() { return }
      if status == cffmpeg_averror_invaliddata() { return warnCorrupt() }
      guard status >= 0 else { throw failure(ffmpegErrorString(status)) }
      try drain()
      return
    }
  }

  /// Receives every frame the decoder has ready.
  private func drain() throws {
    guard let pointer = frame.pointer else { return }
    while !stopped {
      let status = avcodec_receive_frame(context, pointer)
      if status == cffmpeg_averror_eagain() || status == cffmpeg_averror_eof() { return }
      if status == cffmpeg_averror_invaliddata() {
        // The packet it came from is consumed; the decoder goes on with the next one.
        warnCorrupt()
        continue
      }
      guard status >= 0 else { throw failure(ffmpegErrorString(status)) }
      defer { av_frame_unref(pointer) }
      try deliver(pointer)
    }
  }

  private func warnCorrupt() {
    decoder.logger.warning(
      "corrupt packet skipped", metadata: ["video": "\(decoder.path)", "frame": "\(lastIndex + 1)"])
  }

  /// Numbers a decoded frame, converts it when selected and hands it on once the damage tracker
  /// knows whether a lost packet touched it. A frame that cannot be numbered, or comes after a
  /// later-numbered one (a damaged stream), is dropped.
  private func deliver(_ decoded: UnsafeMutablePointer<AVFrame>) throws {
    framesOutput += 1
    let pts =
      Self.timestamp(decoded.pointee.pts) ?? Self.timestamp(decoded.pointee.best_effort_timestamp)
    guard let index = numbering.number(ofFrame: pts), index > lastIndex else {
      decoder.logger.warning(
        "a decoded frame without a timestamp or out of presentation order is dropped",
        metadata: ["video": "\(decoder.path)", "after_frame": "\(lastIndex)"])
      return
    }
    lastIndex = index
    let timestamp =
      pts.map(decoder.seconds)
      ?? (decoder.info.frameRate > 0 ? Double(index) / decoder.info.frameRate : 0)
    var image: BGRImage?
    var picture: VideoPicture?
    if selection.contains(index) {
      image = convert(decoded)
      guard image != nil else {
        throw VideoError.conversion(
          path: decoder.path, frameIndex: index, message: "sws_scale could not convert the frame")
      }
      if keepsPictures {
        picture = VideoPicture(referencing: decoded)
        guard picture != nil else { throw failure("out of memory") }
      }
    }
    let frame = DecodedFrame(
      index: index, timestamp: timestamp, image: image, picture: picture, damaged: false)
    guard numbering.mode == .presentationRank else {
      return try hand([.init(payload: frame, damaged: false)])
    }
    try hand(damage.output(number: index, payload: frame))
  }

  /// A selected frame in BGR at the pass's size.
  private func convert(_ decoded: UnsafeMutablePointer<AVFrame>) -> BGRImage? {
    switch size {
    case .full: return scaler.convert(decoded)
    case .fixed(let width, let height): return scaler.convert(decoded, width: width, height: height)
    }
  }

  /// Gives `body` the frames the damage tracker released, marked.
  private func hand(_ frames: [DamageTracker<DecodedFrame>.Released]) throws {
    for released in frames where !stopped {
      let frame = released.payload
      if released.damaged { damagedFrames += 1 }
      lastHanded = frame.index
      let marked = DecodedFrame(
        index: frame.index, timestamp: frame.timestamp, image: frame.image,
        picture: frame.picture, damaged: released.damaged)
      if !(try body(marked)) { stopped = true }
    }
  }
}
