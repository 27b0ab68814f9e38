import Logging
import ThreadPrimitives

/// A log handler keeping every line (level, message, metadata), for tests that read a log.
final class LogRecorder: Sendable {
  private let lines = Locked<[String]>([])

  /// A logger writing here, every level.
  var logger: Logger {
    var logger = Logger(label: "test") { _ in Handler(recorder: self) }
    logger.logLevel = .trace
    return logger
  }

  /// Every line so far.
  var text: String { lines.withLock { $0.joined(separator: "\n") } }

  /// The lines containing `fragment`.
  func lines(containing fragment: String) -> [String] {
    lines.withLock { $0.filter { $0.contains(fragment) } }
  }

  fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

  private struct Handler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      let all = metadata.merging(event.metadata ?? [:]) { $1 }
      let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
      recorder.append(
        ([event.level.rawValue, event.message.description] + fields).joined(separator: " "))
    }
  }
}
