import Logging
import ThreadPrimitives

/// A worker's calls to the queue (docs/job_queue.md, "When the database goes away"). Each
/// call waits at most the policy's attempt time-out for its answer; one that fails on the
/// connection is retried after the worker's back-off (`DatabaseRetry`, shared by all its slots
/// and heartbeats, so the database's absence is timed once), each retry logged as a warning.
/// The failure that ends the worker — the database away past its time-out, or an error that
/// is not the connection's (a refused statement) — is remembered: every later call throws it
/// at once, so all slots stop.
final class WorkerDatabase: Sendable {
  let url: DatabaseURL

  private struct State {
    var retry: DatabaseRetry
    /// The last connection failure, for the message of giving up.
    var lastFailure = "(none)"
    /// What ended the worker.
    var fatal: JobQueueError?
  }

  private let state: Locked<State>
  /// Where the tasks of the calls run, and the worker's recording of outcomes: a queue of
  /// their own, since a call's time-out must not count the time its task waits for a thread
  /// of the cooperative pool, which blocking code elsewhere in the process may hold.
  let executor = SerialQueueExecutor(label: "faceharvest.worker-database")

  /// Calls to the database at `url`, retried as `policy` says.
  init(url: DatabaseURL, policy: DatabaseRetry.Policy) {
    self.url = url
    state = Locked(State(retry: DatabaseRetry(policy: policy)))
  }

  /// Runs `body` (one queue operation, `operation` in messages) until it gets an answer.
  /// Throws the failure that ends the worker, or `CancellationError` when the task is
  /// cancelled.
  func call<T: Sendable>(
    _ operation: String, logger: Logger, _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    while true {
      let timeout = try attemptTimeout()
      let started = ContinuousClock.now
      do {
        let value = try await Self.answer(within: timeout, operation, on: executor, body)
        if let outage = state.withLock({ $0.retry.succeeded(at: .now) }) {
          logger.notice("database reachable again after \(outage.secondsText)")
        }
        return value
      } catch  where !Task.isCancelled {
        try await handle(error, operation, started: started, logger: logger)
      }
    }
  }

  /// The time-out of the next attempt, or the failure that ended the worker.
  private func attemptTimeout() throws -> Duration {
    try state.withLock { state -> Result<Duration, JobQueueError> in
      if let fatal = state.fatal { return .failure(fatal) }
      switch state.retry.attempt(at: .now) {
      case .run(let timeout):
        return .success(timeout)
      case .refused(let waited):
        let error = gone(waited: waited, state)
        state.fatal = error
        return .failure(error)
      }
    }.get()
  }

  /// Waits out the back-off after a connection failure, or throws what ends the worker.
  private func handle(
    _ error: any Error, _ operation: String, started: ContinuousClock.Instant, logger: Logger
  ) async throws {
    guard let error = error as? JobQueueError else {
      throw remember(.database(operation: operation, detail: JobQueueError.detail(error)))
    }
    guard case .connectionLost = error else { throw remember(error) }
    let decision = state.withLock { state in
      state.lastFailure = "\(error)"
      return state.retry.failed(at: .now, attemptStarted: started)
    }
    switch decision {
    case .retry(let delay, let left):
      logger.warning(
        """
        database unreachable (\(error)); retrying in \(delay.secondsText), \
        giving up in \(left.secondsText)
        """)
      try await Task.sleep(for: delay)
    case .giveUp(let waited):
      throw remember(state.withLock { gone(waited: waited, $0) })
    }
  }

  private func gone(waited: Duration, _ state: State) -> JobQueueError {
    .databaseGone(
      url: url.description, waited: waited, limit: state.retry.policy.giveUpAfter,
      lastError: state.lastFailure)
  }

  /// Keeps `error` as what ends the worker, unless one was kept before; returns the kept one
  /// (thrown now and by every later call).
  private func remember(_ error: JobQueueError) -> JobQueueError {
    state.withLock { state in
      if state.fatal == nil { state.fatal = error }
      return state.fatal ?? error
    }
  }

  /// `body`'s answer, or `connectionLost` ("no answer within …") after `limit`. The body runs
  /// in a task of its own that is cancelled, not awaited, when the time is up: a statement
  /// sent on a connection the network silently dropped may not notice for minutes. Cancelling
  /// the caller cancels the body and still waits for its answer (or the time-out): a claim
  /// the server already made must not be lost. The body and the timer run on `executor`.
  static func answer<T: Sendable>(
    within limit: Duration, _ operation: String, on executor: SerialQueueExecutor,
    _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    let race = FirstAnswer<T>()
    let work = Task(executorPreference: executor) {
      do {
        race.offer(.success(try await body()))
      } catch {
        race.offer(.failure(error))
      }
    }
    let timer = Task(executorPreference: executor) {
      try? await Task.sleep(for: limit)
      race.offer(
        .failure(
          JobQueueError.connectionLost(
            operation: operation, detail: "no answer within \(limit.secondsText)")))
    }
    defer {
      work.cancel()
      timer.cancel()
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { race.wait($0) }
    } onCancel: {
      work.cancel()
    }
  }
}

/// The first of several results to come, handed to one waiting continuation (whichever of the
/// two comes first).
private final class FirstAnswer<T: Sendable>: Sendable {
  private struct State {
    var continuation: CheckedContinuation<T, any Error>?
    var result: Result<T, any Error>?
  }

  private let state = Locked(State())

  /// Waits with `continuation`, resumed at once when a result is already in.
  func wait(_ continuation: CheckedContinuation<T, any Error>) {
    let result = state.withLock { state in
      if state.result == nil { state.continuation = continuation }
      return state.result
    }
    if let result { continuation.resume(with: result) }
  }

  /// Offers `result`: the first one offered wins, the others are dropped.
  func offer(_ result: Result<T, any Error>) {
    let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
      guard state.result == nil else { return nil }
      state.result = result
      defer { state.continuation = nil }
      return state.continuation
    }
    continuation?.resume(with: result)
  }
}
