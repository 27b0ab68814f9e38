import CFFmpeg
import FaceHarvestCore
import Foundation

/// A few frames by number, each decoded from the keyframe before it after a seek, instead of
/// decoding the stream up to the last of them (docs/detect_track.md, "Frame numbers"): the
/// identity thumbnails need a handful of frames spread over a whole episode.
///
/// The packets are read once without decoding, for the frame numbers (`FrameNumbering`'s
/// presentation ranks, the same as every pass) and the keyframes. Each wanted frame is then
/// decoded from the last keyframe whose packet comes before its own and that is presented no
/// later: from there on the decoder needs nothing earlier, so the pixels are those of a decode
/// from the start. A frame decoded after any decoding error since its keyframe is marked
/// damaged (the thumbnails then use another face). A stream without timestamps, or one the
/// demuxer cannot seek in, is decoded front to back instead (`VideoDecoder.decode`).
struct SparseDecode {
  let decoder: VideoDecoder
  let context: UnsafeMutablePointer<AVCodecContext>

  /// A packet's place in the stream, from the reading pass.
  private struct PacketInfo {
    let pts: Int64
    let dts: Int64
    let isKeyframe: Bool
  }

  /// Decodes the frames numbered `indices` in BGR at full size and hands each to `body`, in
  /// number order. Returns false when the stream cannot be decoded this way (nothing was
  /// handed over then).
  func run(_ indices: Set<Int>, body: (DecodedFrame) throws -> Void) throws -> Bool {
    guard let packets = try readPackets(), !packets.isEmpty else { return false }
    var numbering = FrameNumbering()
    for packet in packets { try? numbering.record(packetPTS: packet.pts) }
    guard numbering.mode == .presentationRank else { return false }
    let byNumber = Dictionary(
      packets.map { (numbering.number(ofPacket: $0.pts), $0) }, uniquingKeysWith: { a, _ in a })
    let order = Dictionary(
      packets.enumerated().map { ($0.element.pts, $0.offset) }, uniquingKeysWith: { a, _ in a })
    // Wanted frames grouped by the keyframe they are decoded from (its position in the file).
    var groups: [Int: [Int]] = [:]
    for index in indices.sorted() {
      guard let packet = byNumber[index], let position = order[packet.pts] else { continue }
      guard
        let start = packets[...position].lastIndex(where: { $0.isKeyframe && $0.pts <= packet.pts })
      else { return false }
      groups[start, default: []].append(index)
    }
    for start in groups.keys.sorted() {
      guard
        try decodeGroup(
          from: packets[start], wanted: groups[start]!, numbering: numbering, isPacket: order,
          body: body)
      else { return false }
    }
    return true
  }

  /// Every video packet's timestamps and key flag, in file order; nil when one has no
  /// timestamp or the file cannot be read to its end.
  private func readPackets() throws -> [PacketInfo]? {
    var packets: [PacketInfo] = []
    let packet = Packet()
    guard let pointer = packet.pointer else { return nil }
    while true {
      let status = av_read_frame(decoder.format.pointer, pointer)
      if status == cffmpeg_averror_eof() { break }
      guard status >= 0 else { return nil }
      defer { av_packet_unref(pointer) }
      guard pointer.pointee.stream_index == decoder.streamIndex else { continue }
      let (pts, dts) = (pointer.pointee.pts, pointer.pointee.dts)
      guard pts != cffmpeg_nopts_value(), dts != cffmpeg_nopts_value() else { return nil }
      packets.append(
        PacketInfo(pts: pts, dts: dts, isKeyframe: pointer.pointee.flags & AV_PKT_FLAG_KEY != 0))
    }
    return packets
  }

  /// The decoding of one group: the wanted frames still to come, whether any error was seen,
  /// and the frames decoded so far (with their presentation timestamps).
  private final class Group {
    let keyframe: PacketInfo
    let numbering: FrameNumbering
    let isPacket: [Int64: Int]
    var remaining: Set<Int>
    var damaged = false
    var decoded: [(index: Int, pts: Int64, image: BGRImage)] = []
    let frame = Frame()
    let scaler = FrameScaler()

    init(keyframe: PacketInfo, wanted: [Int], numbering: FrameNumbering, isPacket: [Int64: Int]) {
      self.keyframe = keyframe
      self.numbering = numbering
      self.isPacket = isPacket
      remaining = Set(wanted)
    }
  }

  /// Seeks to `keyframe`, decodes until every frame of `wanted` came out and hands them to
  /// `body`. False (nothing handed) when the seek does not land on the keyframe or a wanted
  /// frame never comes.
  private func decodeGroup(
    from keyframe: PacketInfo, wanted: [Int], numbering: FrameNumbering,
    isPacket: [Int64: Int], body: (DecodedFrame) throws -> Void
  ) throws -> Bool {
    guard
      av_seek_frame(
        decoder.format.pointer, decoder.streamIndex, keyframe.dts, AVSEEK_FLAG_BACKWARD) >= 0
    else { return false }
    avcodec_flush_buffers(context)
    let group = Group(keyframe: keyframe, wanted: wanted, numbering: numbering, isPacket: isPacket)
    guard group.frame.pointer != nil, let drained = try feed(group), group.remaining.isEmpty
    else { return false }
    if !drained {
      // The frames still in the decoder (a reference frame a wanted one was predicted from is
      // output after it) may report the error that damaged a wanted frame: read them out.
      _ = avcodec_send_packet(context, nil)
      while try receive(group) {}
    }
    // Handed over once the group is decoded: an error anywhere in it marks every frame, since
    // a frame presented before a damaged one can be decoded after it.
    for frame in group.decoded.sorted(by: { $0.index < $1.index }) {
      try body(
        DecodedFrame(
          index: frame.index, timestamp: max(0, decoder.seconds(frame.pts)), image: frame.image,
          picture: nil, damaged: group.damaged))
    }
    return true
  }

  /// Reads packets from the keyframe on and decodes them until every wanted frame came out.
  /// Returns whether the decoder was drained at the end of the file; nil when the group
  /// cannot be decoded this way (a read error, or the seek landed past the keyframe).
  private func feed(_ group: Group) throws -> Bool? {
    let packet = Packet()
    guard let pointer = packet.pointer else { return nil }
    var started = false
    while !group.remaining.isEmpty {
      let status = av_read_frame(decoder.format.pointer, pointer)
      if status == cffmpeg_averror_eof() {
        _ = avcodec_send_packet(context, nil)
        while try receive(group) {}
        return true
      }
      guard status >= 0 else { return nil }
      defer { av_packet_unref(pointer) }
      guard pointer.pointee.stream_index == decoder.streamIndex else { continue }
      if !started {
        // Packets before the keyframe (the demuxer seeks to an index entry at or before).
        guard pointer.pointee.pts == group.keyframe.pts else {
          if pointer.pointee.dts > group.keyframe.dts { return nil }
          continue
        }
        started = true
      }
      // A non-reference frame that is not wanted: nothing needs it decoded (as in a pass).
      if isUnwantedDisposable(
        pointer, remaining: group.remaining, numbering: group.numbering,
        isPacket: group.isPacket)
      {
        continue
      }
      while true {
        let sent = avcodec_send_packet(context, pointer)
        // The decoder wants its output read first; then the same packet goes again.
        if sent == cffmpeg_averror_eagain() {
          _ = try receive(group)
          continue
        }
        if sent < 0 { group.damaged = true }
        break
      }
      _ = try receive(group)
    }
    return false
  }

  /// Receives what the decoder has ready into `group`; false at its end of stream.
  private func receive(_ group: Group) throws -> Bool {
    guard let decoded = group.frame.pointer else { return false }
    while true {
      let status = avcodec_receive_frame(context, decoded)
      if status == cffmpeg_averror_eagain() { return true }
      if status == cffmpeg_averror_eof() { return false }
      guard status >= 0 else {
        group.damaged = true
        continue
      }
      defer { av_frame_unref(decoded) }
      let pts =
        decoded.pointee.pts != cffmpeg_nopts_value()
        ? decoded.pointee.pts : decoded.pointee.best_effort_timestamp
      // Frames presented before the keyframe (an open GOP's leading frames) refer to what
      // the seek skipped: their concealment is expected and says nothing of the rest.
      guard pts >= group.keyframe.pts else { continue }
      if decoded.pointee.decode_error_flags != 0 { group.damaged = true }
      let index = group.numbering.number(ofPacket: pts)
      guard group.isPacket[pts] != nil, group.remaining.contains(index) else { continue }
      group.remaining.remove(index)
      guard let image = group.scaler.convert(decoded) else {
        throw VideoError.conversion(
          path: decoder.path, frameIndex: index, message: "sws_scale could not convert the frame")
      }
      group.decoded.append((index, pts, image))
    }
  }

  /// Whether `packet` is a non-reference frame of the stream that is not among `remaining`.
  private func isUnwantedDisposable(
    _ packet: UnsafeMutablePointer<AVPacket>, remaining: Set<Int>, numbering: FrameNumbering,
    isPacket: [Int64: Int]
  ) -> Bool {
    let pts = packet.pointee.pts
    guard let h264 = decoder.h264, isPacket[pts] != nil, h264.isDisposable(packet) else {
      return false
    }
    return !remaining.contains(numbering.number(ofPacket: pts))
  }
}
