import CFFmpeg
public import Foundation

/// The frames a video file really holds, counted from its packets without decoding: what
/// detect-track finds at the end of its pass, found up front by a stage that may not decode to
/// the end (docs/detect_track.md, "Truncated video").
public struct VideoFrameCount: Sendable, Equatable {
  /// Packets of the video stream: one per frame.
  public let framesInVideo: Int
  /// What the container declares (frame count, duration, …).
  public let info: VideoInfo

  /// Whether the file ends before the frames its container declares.
  public var isTruncated: Bool {
    info.declaredFrameCount.map { framesInVideo < $0 } ?? false
  }

  /// Reads every packet of `url`'s video stream (no decoding; about a second for an hour of
  /// H.264). A read error part-way ends the count there, as it ends a decode.
  public static func count(_ url: URL) throws -> VideoFrameCount {
    let decoder = try VideoDecoder(url: url, threads: 1)
    let packet = Packet()
    guard let pointer = packet.pointer else {
      return VideoFrameCount(framesInVideo: 0, info: decoder.info)
    }
    var frames = 0
    while av_read_frame(decoder.format.pointer, pointer) >= 0 {
      if pointer.pointee.stream_index == decoder.streamIndex { frames += 1 }
      av_packet_unref(pointer)
    }
    return VideoFrameCount(framesInVideo: frames, info: decoder.info)
  }
}
