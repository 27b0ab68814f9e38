import Crypto
public import FaceHarvestCore
public import Foundation

extension ModelManifest {
  /// The file of `entry` after checking that it exists and matches its SHA-256.
  public func verifiedFileURL(for entry: ModelEntry) throws -> URL {
    let file = fileURL(for: entry)
    let actual = try Self.sha256(of: file)
    guard actual == entry.sha256.lowercased() else {
      throw InferenceError.checksumMismatch(path: file.path, expected: entry.sha256, actual: actual)
    }
    return file
  }

  /// Hex SHA-256 of a file, read in 1 MiB blocks.
  public static func sha256(of url: URL) throws -> String {
    guard let handle = try? FileHandle(forReadingFrom: url) else {
      throw InferenceError.modelNotFound(path: url.path)
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
      hasher.update(data: block)
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }
}
