public import Foundation

/// The built `faceharvest-server`, run as users run it: a process of its own, so its request
/// handlers never wait behind the test suite's threads (docs/review_app.md, "Tests").
public final class ServerProcess {
  /// Why the server could not be started.
  public enum Failure: Error, CustomStringConvertible {
    case exited(status: Int32, log: String)

    public var description: String {
      switch self {
      case .exited(let status, let log):
        return "faceharvest-server exited with status \(status) before it listened:\n\(log)"
      }
    }
  }

  private let process = Process()
  private let output = Pipe()
  /// Everything the server logged so far (its log goes to standard error).
  private let log = LogCollector()
  /// The port it listens on (on 127.0.0.1).
  public private(set) var port = 0

  /// Starts `faceharvest-server --data-root root --port 0` from the repository root and waits
  /// until its log names the port it listens on.
  public init(dataRoot root: URL) throws {
    process.executableURL = try BuiltExecutable.url(
      named: "faceharvest-server", override: "FACEHARVEST_SERVER")
    process.arguments = ["--host", "127.0.0.1", "--port", "0", "--data-root", root.path]
    process.currentDirectoryURL = BuiltExecutable.repositoryRoot
    process.environment = BuiltExecutable.environment()
    process.standardError = output
    process.standardOutput = FileHandle.nullDevice
    let log = self.log
    output.fileHandleForReading.readabilityHandler = { handle in
      let chunk = handle.availableData
      if chunk.isEmpty { handle.readabilityHandler = nil }
      log.append(chunk)
    }
    try process.run()
    guard let port = log.waitForPort() else {
      process.waitUntilExit()
      throw Failure.exited(status: process.terminationStatus, log: log.text)
    }
    self.port = port
  }

  deinit { stop() }

  /// Stops the server (SIGTERM: a graceful shutdown) and waits for it.
  public func stop() {
    guard process.isRunning else { return }
    process.terminate()
    process.waitUntilExit()
  }
}

/// The server's log as it arrives, and the port its "listening on HOST:PORT" line names.
private final class LogCollector: @unchecked Sendable {
  // Guarded by `condition`.
  private var bytes = Data()
  private var ended = false
  private let condition = NSCondition()

  var text: String {
    condition.lock()
    defer { condition.unlock() }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends a chunk; an empty chunk means the server closed its standard error.
  func append(_ chunk: Data) {
    condition.lock()
    if chunk.isEmpty { ended = true } else { bytes.append(chunk) }
    condition.broadcast()
    condition.unlock()
  }

  /// Blocks until the log names the listening port (returned) or the stream ends (nil).
  func waitForPort() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let port = Self.port(in: String(decoding: bytes, as: UTF8.self)) { return port }
      if ended { return nil }
      condition.wait()
    }
  }

  static func port(in log: String) -> Int? {
    let marker = "Server started and listening on "
    guard let line = log.split(separator: "\n").first(where: { $0.contains(marker) }),
      let start = line.range(of: marker)?.upperBound,
      let colon = line[start...].lastIndex(of: ":")
    else { return nil }
    return Int(line[line.index(after: colon)...].prefix(while: \.isNumber))
  }
}
