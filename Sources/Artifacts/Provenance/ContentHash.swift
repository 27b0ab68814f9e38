import Crypto
public import Foundation

/// SHA-256 of artifact files and of a video's ends (docs/artifacts.md, "What artifacts were made
/// from"), read in 1 MiB chunks.
public enum ContentHash {
  /// The hex SHA-256 of the file at `url`; nil when there is no file there.
  public static func sha256(of url: URL, displayPath: String) throws -> String? {
    guard FileIO.isRegularFile(url) else { return nil }
    let descriptor = try FileIO.openForReading(url, displayPath: displayPath)
    defer { close(descriptor) }
    var hasher = SHA256()
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20)
    while true {
      buffer.removeAll(keepingCapacity: true)
      guard try FileIO.read(descriptor, into: &buffer, count: 1 << 20, displayPath: displayPath) > 0
      else { break }
      hasher.update(data: buffer)
    }
    return hex(hasher.finalize())
  }

  /// The identity of the video at `url` without its frame count and duration (those need the
  /// demuxer: the stages add them); nil when there is no file.
  public static func videoIdentity(of url: URL, displayPath: String) throws -> VideoIdentity? {
    guard FileIO.isRegularFile(url) else { return nil }
    let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
    let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    let modified = (attributes?[.modificationDate] as? Date) ?? Date(timeIntervalSince1970: 0)
    let descriptor = try FileIO.openForReading(url, displayPath: displayPath)
    defer { close(descriptor) }
    let chunk = 1 << 20
    var hasher = SHA256()
    var head: [UInt8] = []
    _ = try FileIO.read(descriptor, into: &head, count: chunk, displayPath: displayPath)
    hasher.update(data: head)
    if size > chunk {
      guard lseek(descriptor, off_t(max(chunk, size - chunk)), SEEK_SET) >= 0 else {
        throw ArtifactError.io(
          path: displayPath, underlying: "cannot seek: \(FileIO.errnoMessage())")
      }
      var tail: [UInt8] = []
      _ = try FileIO.read(descriptor, into: &tail, count: chunk, displayPath: displayPath)
      hasher.update(data: tail)
    }
    return VideoIdentity(
      sizeBytes: size, modifiedAt: ArtifactTimestamp.string(from: modified),
      headTailSHA256: hex(hasher.finalize()))
  }

  static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
  }
}
