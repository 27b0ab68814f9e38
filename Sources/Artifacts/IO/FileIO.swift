import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Thin wrappers over POSIX file calls, throwing `ArtifactError` that name the file.
enum FileIO {
  /// The message for the current `errno`.
  static func errnoMessage(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
  }

  /// Opens `url` for reading; a missing file is `ArtifactError.fileNotFound`.
  static func openForReading(_ url: URL, displayPath: String) throws -> Int32 {
    let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      if code == ENOENT { throw ArtifactError.fileNotFound(path: displayPath) }
      throw ArtifactError.io(path: displayPath, underlying: "cannot open: \(errnoMessage(code))")
    }
    return descriptor
  }

  /// Reads up to `count` bytes, appending them to `buffer`; returns how many were read (0 at
  /// end of file). Retries on `EINTR`.
  static func read(_ descriptor: Int32, into buffer: inout [UInt8], count: Int, displayPath: String)
    throws -> Int
  {
    var failure: Int32 = 0
    // Read into uninitialised memory (no zero-filling), then append what arrived.
    let chunk = [UInt8](unsafeUninitializedCapacity: count) { spare, initialized in
      initialized = 0
      while true {
        let result = posixRead(descriptor, spare.baseAddress, count)
        if result >= 0 {
          initialized = result
          return
        }
        if errno != EINTR {
          failure = errno
          return
        }
      }
    }
    if failure != 0 {
      throw ArtifactError.io(path: displayPath, underlying: "read failed: \(errnoMessage(failure))")
    }
    buffer.append(contentsOf: chunk)
    return chunk.count
  }

  /// Writes all of `bytes`, retrying short writes and `EINTR`.
  static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, displayPath: String)
    throws
  {
    var offset = 0
    while offset < bytes.count {
      guard let base = bytes.baseAddress else { return }
      let result = posixWrite(descriptor, base + offset, bytes.count - offset)
      if result < 0 {
        if errno == EINTR { continue }
        let code = errno
        throw ArtifactError.io(path: displayPath, underlying: "write failed: \(errnoMessage(code))")
      }
      offset += result
    }
  }

  /// `fsync`, throwing on failure.
  static func sync(_ descriptor: Int32, displayPath: String) throws {
    guard fsync(descriptor) == 0 else {
      let code = errno
      throw ArtifactError.io(path: displayPath, underlying: "fsync failed: \(errnoMessage(code))")
    }
  }

  /// Makes a rename inside `directory` durable by fsyncing the directory itself.
  static func syncDirectory(_ directory: URL, displayPath: String) throws {
    let descriptor = open(directory.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      throw ArtifactError.io(
        path: displayPath, underlying: "cannot open directory to fsync: \(errnoMessage(code))")
    }
    defer { close(descriptor) }
    try sync(descriptor, displayPath: displayPath)
  }

  /// Creates `directory` and its parents when missing; a failure says why in one line ("Not a
  /// directory" where a file stands in the way).
  static func createDirectory(_ directory: URL, displayPath: String) throws {
    try FileSystemFailure.makeFolders(directory, displayPath: displayPath)
  }

  /// Whether something (a file, a folder, a dangling link) is at `url`; links are not followed.
  static func exists(_ url: URL) -> Bool {
    var status = stat()
    return lstat(url.path, &status) == 0
  }

  /// Whether `url` is a regular file (links are not followed).
  static func isRegularFile(_ url: URL) -> Bool {
    var status = stat()
    return lstat(url.path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
  }

  /// Renames `source` onto `destination` (`rename(2)`: a file replaces a file atomically).
  static func rename(_ source: URL, to destination: URL, displayPath: String) throws {
    guard posixRename(source.path, destination.path) == 0 else {
      let code = errno
      throw ArtifactError.io(
        path: displayPath,
        underlying:
          "cannot rename \(source.lastPathComponent) to \(destination.lastPathComponent): "
          + errnoMessage(code))
    }
  }

  /// fsyncs every file and folder under `folder`, and `folder` itself, so that what was written
  /// into it survives a power cut once this returns.
  static func syncTree(_ folder: URL, displayPath: String) throws {
    guard let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
    else {
      throw ArtifactError.io(path: displayPath, underlying: "cannot list \(folder.path) to fsync")
    }
    var folders = [folder]
    for case let url as URL in walk {
      var status = stat()
      guard lstat(url.path, &status) == 0 else { continue }
      if status.st_mode & S_IFMT == S_IFDIR {
        folders.append(url)
      } else if status.st_mode & S_IFMT == S_IFREG {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
          let code = errno
          throw ArtifactError.io(
            path: displayPath, underlying: "cannot open \(url.path) to fsync: \(errnoMessage(code))"
          )
        }
        defer { close(descriptor) }
        try sync(descriptor, displayPath: displayPath)
      }
    }
    for url in folders { try syncDirectory(url, displayPath: displayPath) }
  }

  /// Reads a whole file; a missing file is `ArtifactError.fileNotFound`.
  static func readAll(_ url: URL, displayPath: String) throws -> Data {
    let descriptor = try openForReading(url, displayPath: displayPath)
    defer { close(descriptor) }
    var buffer: [UInt8] = []
    while try read(descriptor, into: &buffer, count: 1 << 20, displayPath: displayPath) > 0 {}
    return Data(buffer)
  }
}

// The POSIX `read`/`write` under names that do not clash with our own methods.
@inline(__always)
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int
{
  read(descriptor, buffer, count)
}

@inline(__always)
private func posixRename(_ source: String, _ destination: String) -> Int32 {
  rename(source, destination)
}

@inline(__always)
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, buffer, count)
}

/// A file being written beside its destination, renamed onto it only on `commit()`.
///
/// Until then the destination is untouched; `discard()` (or dropping the value without
/// committing, which callers arrange) removes the temporary file.
struct TemporaryFile {
  let destination: URL
  let url: URL
  let displayPath: String
  private(set) var descriptor: Int32

  /// Creates `.{name}.tmp-{random}` in the destination's directory (creating the directory).
  init(beside destination: URL, displayPath: String) throws {
    self.destination = destination
    self.displayPath = displayPath
    let directory = destination.deletingLastPathComponent()
    try FileIO.createDirectory(directory, displayPath: displayPath)
    let name = ".\(destination.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))"
    url = directory.appendingPathComponent(name)
    descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      let code = errno
      throw ArtifactError.io(
        path: displayPath,
        underlying: "cannot create temporary file \(url.path): \(FileIO.errnoMessage(code))")
    }
  }

  /// A temporary file beside `destination` holding `data`, fsynced and closed (`seal()`);
  /// nothing is left behind when this throws.
  static func sealed(_ data: Data, beside destination: URL, displayPath: String) throws
    -> TemporaryFile
  {
    var file = try TemporaryFile(beside: destination, displayPath: displayPath)
    do {
      try data.withUnsafeBytes { try file.write($0) }
      try file.seal()
    } catch {
      file.discard()
      throw error
    }
    return file
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    try FileIO.writeAll(descriptor, bytes, displayPath: displayPath)
  }

  /// fsync and close, leaving the file beside its destination (an `ArtifactTransaction`
  /// renames it later). `discard()` still removes it.
  mutating func seal() throws {
    guard descriptor >= 0 else { return }
    try FileIO.sync(descriptor, displayPath: displayPath)
    close(descriptor)
    descriptor = -1
  }

  /// fsync, close (unless `seal()` did both), rename onto the destination, fsync the directory.
  mutating func commit() throws {
    try seal()
    guard rename(url.path, destination.path) == 0 else {
      let code = errno
      throw ArtifactError.io(
        path: displayPath, underlying: "cannot rename into place: \(FileIO.errnoMessage(code))")
    }
    try FileIO.syncDirectory(destination.deletingLastPathComponent(), displayPath: displayPath)
  }

  /// Closes and removes the temporary file; the destination is untouched.
  mutating func discard() {
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
    }
    unlink(url.path)
  }
}
