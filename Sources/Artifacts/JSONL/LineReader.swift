import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Splits a file into lines while reading it in fixed-size chunks, so memory stays bounded by
/// the longest line rather than the file size.
///
/// Lines end at `\n`; a `\r` before it is dropped. A final line without `\n` is still returned,
/// flagged `terminated == false`.
final class LineReader {
  struct Line {
    /// 1-based line number.
    var number: Int
    /// The line's bytes without `\r\n`/`\n`.
    var bytes: ArraySlice<UInt8>
    /// Whether the line ended with a newline (only the last line of a file may not).
    var terminated: Bool
  }

  static let chunkSize = 1 << 20

  /// The longest line accepted, in bytes: 16 MiB (a 512-d face row is about 10 KiB), or
  /// `FACEHARVEST_MAX_LINE_BYTES` from the environment. A longer line is an error naming the
  /// file and line, so one broken line cannot take gigabytes of memory (docs/artifacts.md).
  static let maximumLineBytes: Int = {
    let variable = ProcessInfo.processInfo.environment["FACEHARVEST_MAX_LINE_BYTES"]
    return variable.flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 16 << 20
  }()

  let displayPath: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var start = 0
  private var scanned = 0
  private var atEnd = false
  private var lineNumber = 0

  init(url: URL, displayPath: String) throws {
    self.displayPath = displayPath
    descriptor = try FileIO.openForReading(url, displayPath: displayPath)
    buffer.reserveCapacity(Self.chunkSize)
  }

  deinit {
    if descriptor >= 0 { close(descriptor) }
  }

  /// The next line, or `nil` at the end of the file.
  func next() throws -> Line? {
    while true {
      if let newline = Self.newline(in: buffer, from: scanned) {
        let line = makeLine(end: newline, terminated: true)
        start = newline + 1
        scanned = start
        return line
      }
      scanned = buffer.count
      guard buffer.count - start <= Self.maximumLineBytes else {
        throw ArtifactError.malformedLine(
          file: displayPath, line: lineNumber + 1, field: nil,
          reason: "line longer than \(Self.maximumLineBytes) bytes (FACEHARVEST_MAX_LINE_BYTES)")
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        let line = makeLine(end: buffer.count, terminated: false)
        start = buffer.count
        scanned = start
        return line
      }
      try refill()
    }
  }

  /// The index of the first `\n` at or after `start` (`memchr`, fast in debug builds too).
  private static func newline(in buffer: [UInt8], from start: Int) -> Int? {
    guard start < buffer.count else { return nil }
    return buffer.withUnsafeBytes { raw -> Int? in
      guard let base = raw.baseAddress,
        let found = memchr(base + start, 0x0A, raw.count - start)
      else { return nil }
      return base.distance(to: UnsafeRawPointer(found))
    }
  }

  private func makeLine(end: Int, terminated: Bool) -> Line {
    lineNumber += 1
    var end = end
    if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return Line(number: lineNumber, bytes: buffer[start..<end], terminated: terminated)
  }

  /// Drops consumed bytes and reads the next chunk.
  private func refill() throws {
    if start > 0 {
      buffer.removeFirst(start)
      scanned -= start
      start = 0
    }
    let count = try FileIO.read(
      descriptor, into: &buffer, count: Self.chunkSize, displayPath: displayPath)
    if count == 0 {
      atEnd = true
      close(descriptor)
      descriptor = -1
    }
  }
}
