public import Foundation

/// An error of the test-video helpers: a tool that failed, or a video without the packet asked
/// for.
public enum CorruptVideoError: Error, CustomStringConvertible {
  /// `ffmpeg` or `ffprobe` exited with a failure status.
  case tool(name: String, status: Int32, arguments: [String])
  /// `ffprobe` printed a line that is not a packet.
  case unreadablePacket(line: String)
  /// No packet of the video fits the request.
  case noSuchPacket(path: String, wanted: String)

  public var description: String {
    switch self {
    case .tool(let name, let status, let arguments):
      return "\(name) exited \(status): \(arguments.joined(separator: " "))"
    case .unreadablePacket(let line): return "ffprobe printed an unreadable packet line: \(line)"
    case .noSuchPacket(let path, let wanted): return "\(path) has no \(wanted) packet"
    }
  }
}

/// A packet of a video stream as `ffprobe -show_packets` lists it (decode order).
public struct ProbedPacket: Sendable, Equatable {
  /// Presentation timestamp in the stream's time base.
  public let pts: Int64
  /// Byte offset of the packet's payload in the file.
  public let position: Int
  /// Payload bytes.
  public let size: Int
  /// Whether the container marks it a keyframe.
  public let isKeyframe: Bool
}

/// Builds videos with a corrupt packet mid-stream for the frame-numbering tests
/// (docs/detect_track.md, "Frame numbers"): H.264 in MP4, one packet's first slice given a NAL
/// length longer than the packet, which FFmpeg's decoder rejects as invalid data (the frame is
/// lost; frames referring to it are concealed until the next keyframe).
public enum CorruptVideo {
  /// Which kind of frame to damage.
  public enum Target: String, Sendable, CaseIterable {
    /// A P frame other frames refer to.
    case reference
    /// A B frame nothing refers to (`nal_ref_idc` 0).
    case nonReference
  }

  /// Runs `tool` (ffmpeg or ffprobe, from PATH) and returns what it printed.
  @discardableResult
  public static func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool, "-hide_banner", "-loglevel", "error"] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CorruptVideoError.tool(
        name: tool, status: process.terminationStatus, arguments: arguments)
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// The video stream's packets, in decode order.
  public static func packets(of url: URL) throws -> [ProbedPacket] {
    let text = try run(
      "ffprobe",
      [
        "-select_streams", "v:0", "-show_packets", "-show_entries", "packet=pts,pos,size,flags",
        "-of", "csv=p=0", url.path,
      ])
    return try text.split(separator: "\n").map { line in
      let fields = line.split(separator: ",").map(String.init)
      guard fields.count >= 4, let pts = Int64(fields[0]), let size = Int(fields[1]),
        let position = Int(fields[2])
      else { throw CorruptVideoError.unreadablePacket(line: String(line)) }
      return ProbedPacket(
        pts: pts, position: position, size: size, isKeyframe: fields[3].hasPrefix("K"))
    }
  }

  /// Frame numbers by presentation timestamp: the rank of each packet's timestamp.
  public static func frameNumbers(_ packets: [ProbedPacket]) -> [Int64: Int] {
    Dictionary(
      uniqueKeysWithValues: packets.map(\.pts).sorted().enumerated().map { ($1, $0) })
  }

  /// Copies `source` to `destination` with the first `target` packet from decode position
  /// `from` on damaged; returns that packet.
  public static func damage(
    _ source: URL, to destination: URL, target: Target, from: Int
  ) throws -> ProbedPacket {
    var bytes = [UInt8](try Data(contentsOf: source))
    let packets = try packets(of: source)
    for packet in packets.dropFirst(from) where !packet.isKeyframe {
      guard let slice = firstSlice(in: packet, bytes: bytes) else { continue }
      let isReference = bytes[slice + 4] & 0x60 != 0
      guard isReference == (target == .reference) else { continue }
      bytes.replaceSubrange(slice..<(slice + 4), with: [0x7F, 0xFF, 0xFF, 0xFF])
      try Data(bytes).write(to: destination)
      return packet
    }
    throw CorruptVideoError.noSuchPacket(path: source.path, wanted: target.rawValue)
  }

  /// The offset of the 4-byte length prefix of the packet's first slice NAL unit (x264 in MP4
  /// writes 4-byte prefixes).
  static func firstSlice(in packet: ProbedPacket, bytes: [UInt8]) -> Int? {
    var offset = packet.position
    let end = min(bytes.count, packet.position + packet.size)
    while offset + 5 <= end {
      let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      if (1...5).contains(bytes[offset + 4] & 0x1F) { return offset }
      offset += 4 + length
    }
    return nil
  }
}
