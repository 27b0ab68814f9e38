import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into a cancellation the running stage polls: it stops at its next
/// frame or batch, removes its staging and leaves the previous artifacts as they were
/// (docs/configuration.md). A second signal ends the process at once, with the signal's default
/// action.
final class TerminationSignals: Sendable {
  /// The first signal received (0: none), shared with the signal handlers.
  private final class FirstSignal: Sendable {
    let number = Atomic<Int32>(0)
    let action: (@Sendable (Int32) -> Void)?

    init(action: (@Sendable (Int32) -> Void)?) { self.action = action }

    func record(_ number: Int32) {
      guard
        self.number.compareExchange(
          expected: 0, desired: number, ordering: .sequentiallyConsistent
        ).exchanged
      else {
        signal(number, SIG_DFL)
        raise(number)
        return
      }
      let name = number == SIGINT ? "SIGINT" : "SIGTERM"
      FileHandle.standardError.write(
        Data("\n\(name): stopping at the next batch (send it again to stop at once)\n".utf8))
      action?(number)
    }
  }

  private let first: FirstSignal
  private let sources: Mutex<[any DispatchSourceSignal]>

  /// Starts watching SIGINT and SIGTERM; `action` runs once, on the first signal.
  init(action: (@Sendable (Int32) -> Void)? = nil) {
    first = FirstSignal(action: action)
    sources = Mutex(Self.watch([SIGINT, SIGTERM], recording: first))
  }

  private static func watch(_ numbers: [Int32], recording first: FirstSignal)
    -> [any DispatchSourceSignal]
  {
    numbers.map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { first.record(number) }
      source.resume()
      return source
    }
  }

  /// The signal received, or nil.
  var received: Int32? {
    let number = first.number.load(ordering: .sequentiallyConsistent)
    return number == 0 ? nil : number
  }

  /// Whether a signal asked the run to stop.
  var isCancelled: Bool { received != nil }

  /// Stops watching: the signals get their default actions back.
  func stop() {
    sources.withLock { sources in
      for source in sources { source.cancel() }
      sources.removeAll()
    }
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }
}
