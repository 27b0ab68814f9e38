public import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One-line reasons for file-system failures (docs/artifacts.md, "Errors from the file
/// system"): what failed, on which path, and why, as `strerror` says it ("No space left on
/// device"), never Foundation's multi-line `NSCocoaErrorDomain` dump.
public enum FileSystemFailure {
  /// Why `error` happened, in one line: the POSIX reason under a Foundation error when there is
  /// one, else the error's own description with line breaks removed.
  public static func reason(_ error: any Error) -> String {
    if let posix = error as? POSIXError { return posixMessage(posix.code.rawValue) }
    let bridged = error as NSError
    if let code = posixCode(bridged) { return posixMessage(code) }
    if bridged.domain == NSCocoaErrorDomain, let known = cocoaReason(bridged.code) { return known }
    if let artifactError = error as? ArtifactError { return artifactError.description }
    return oneLine(bridged.localizedDescription)
  }

  /// An `ArtifactError.io` naming `displayPath` and what was being done (`write`, `create`).
  public static func error(_ action: String, _ displayPath: String, _ underlying: any Error)
    -> ArtifactError
  {
    if let artifactError = underlying as? ArtifactError { return artifactError }
    return ArtifactError.io(
      path: displayPath, underlying: "cannot \(action): \(reason(underlying))")
  }

  /// Writes `data` to `url` (not atomically: for files inside a staged folder), creating its
  /// folders first; a failure is `ArtifactError.io` naming `displayPath` and the POSIX reason.
  public static func write(_ data: Data, to url: URL, displayPath: String) throws {
    try makeFolders(url.deletingLastPathComponent(), displayPath: displayPath)
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw ArtifactError.io(path: displayPath, underlying: "cannot write: \(posixMessage(errno))")
    }
    defer { close(descriptor) }
    do {
      try data.withUnsafeBytes { try FileIO.writeAll(descriptor, $0, displayPath: displayPath) }
    } catch ArtifactError.io(_, let underlying) {
      let reason = underlying.replacingOccurrences(of: "write failed: ", with: "")
      throw ArtifactError.io(path: displayPath, underlying: "cannot write: \(reason)")
    }
  }

  /// `mkdir -p` with POSIX calls, so a failure says why (Foundation's says "error 512").
  static func makeFolders(_ folder: URL, displayPath: String) throws {
    var status = stat()
    if stat(folder.path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return }
    let parent = folder.deletingLastPathComponent()
    if parent.path != folder.path { try makeFolders(parent, displayPath: displayPath) }
    if mkdir(folder.path, 0o755) != 0 && errno != EEXIST {
      throw ArtifactError.io(
        path: displayPath,
        underlying: "cannot create the folder \(folder.lastPathComponent): \(posixMessage(errno))")
    }
    guard stat(folder.path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      throw ArtifactError.io(
        path: displayPath,
        underlying: "cannot create the folder \(folder.lastPathComponent): \(posixMessage(ENOTDIR))"
      )
    }
  }

  /// The POSIX error code under a Foundation error, when it carries one.
  static func posixCode(_ error: NSError) -> Int32? {
    if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
      return posixCode(underlying)
    }
    return nil
  }

  /// Foundation's file codes that come without a POSIX error underneath.
  static func cocoaReason(_ code: Int) -> String? {
    switch CocoaError.Code(rawValue: code) {
    case .fileWriteOutOfSpace: return posixMessage(ENOSPC)
    case .fileWriteNoPermission, .fileReadNoPermission: return posixMessage(EACCES)
    case .fileNoSuchFile, .fileReadNoSuchFile: return posixMessage(ENOENT)
    case .fileWriteVolumeReadOnly: return posixMessage(EROFS)
    case .fileWriteFileExists: return posixMessage(EEXIST)
    default: return nil
    }
  }

  static func posixMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

  static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .joined(separator: " ")
  }
}
