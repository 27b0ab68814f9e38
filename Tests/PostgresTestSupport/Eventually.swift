import Foundation

/// A condition that did not come about in time.
public struct TimedOut: Error, CustomStringConvertible {
  /// What was awaited.
  public let description: String

  /// A time-out described by `description`.
  public init(description: String) { self.description = description }
}

/// Polls `probe` until it gives a value, or throws `TimedOut` naming `what` after `timeout`:
/// tests wait on an observable condition (a row's state, a process's exit), never a fixed
/// sleep. The default time-out is only a bound for a hang: the whole suite shares two cores.
public func eventually<T>(
  _ what: String, timeout: Duration = .seconds(300), every interval: Duration = .milliseconds(50),
  _ probe: () async throws -> T?
) async throws -> T {
  let deadline = ContinuousClock.now + timeout
  while true {
    if let value = try await probe() { return value }
    guard ContinuousClock.now < deadline else {
      throw TimedOut(description: "timed out after \(timeout) waiting for \(what)")
    }
    try await Task.sleep(for: interval)
  }
}
