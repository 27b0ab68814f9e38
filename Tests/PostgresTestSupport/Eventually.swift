import Foundation
import ThreadPrimitives

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

/// Runs `body` with its tasks on a serial dispatch queue of its own instead of the cooperative
/// pool (a task executor preference, SE-0417). The pool has one thread per core, two here, and
/// the other suites' synchronous tests hold them for seconds while they wait for processes: a
/// test that watches leases, heartbeats or a worker's progress must not wait behind them.
public func offThePool<T>(_ body: () async throws -> T) async throws -> T {
  try await withTaskExecutorPreference(
    SerialQueueExecutor(label: "faceharvest.tests.off-the-pool"), operation: body)
}
