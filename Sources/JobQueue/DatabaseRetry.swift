/// A worker's view of a database that stopped answering (docs/job_queue.md, "When the database
/// goes away"), as a state machine with no clock of its own: the caller passes the time of
/// each event. A call that fails with a connection error asks `failed(at:attemptStarted:)`
/// what to do: wait and try again (0.5 s, doubling to 8 s, never past the give-up time), or
/// give up once the database has been away `giveUpAfter` (since the start of the first
/// attempt it did not answer). Any answer from the database ends the outage
/// (`succeeded(at:)`). Giving up is final: every later attempt is refused, so a worker with
/// several callers stops all of them.
public struct DatabaseRetry: Sendable, Equatable {
  /// The delays and limits.
  public struct Policy: Sendable, Equatable {
    /// The wait after the first failure of an outage; each later failure doubles it.
    public var firstDelay: Duration
    /// The longest wait between two attempts.
    public var maximumDelay: Duration
    /// How long the database may be away (from the outage's first failure) before giving up.
    public var giveUpAfter: Duration
    /// The longest one attempt may wait for an answer (PostgresNIO's pool holds a request
    /// for up to a minute while it cannot connect, rather than failing it).
    public var attemptTimeout: Duration

    /// A policy that gives up after `giveUpAfter`.
    public init(
      giveUpAfter: Duration, firstDelay: Duration = .milliseconds(500),
      maximumDelay: Duration = .seconds(8), attemptTimeout: Duration = .seconds(5)
    ) {
      self.giveUpAfter = giveUpAfter
      self.firstDelay = firstDelay
      self.maximumDelay = max(firstDelay, maximumDelay)
      self.attemptTimeout = attemptTimeout
    }
  }

  /// What to do after a failed attempt.
  public enum Decision: Sendable, Equatable {
    /// Wait `after`, then try again; the worker gives up in `givingUpIn` if nothing answers.
    case retry(after: Duration, givingUpIn: Duration)
    /// The database has been away `waited`, at least `giveUpAfter`: stop.
    case giveUp(waited: Duration)
  }

  /// What the next attempt may do.
  public enum Attempt: Sendable, Equatable {
    /// Run, waiting at most `timeout` for the answer.
    case run(timeout: Duration)
    /// Do not: the worker gave up after the database had been away `waited`.
    case refused(waited: Duration)
  }

  /// The delays and limits.
  public let policy: Policy
  /// When the first attempt the database did not answer started; nil while it answers.
  public private(set) var outageStart: ContinuousClock.Instant?
  /// Failures since the outage started.
  public private(set) var failures = 0
  /// How long the database had been away when the worker gave up; nil until then.
  public private(set) var gaveUpAfter: Duration?

  /// No outage yet.
  public init(policy: Policy) { self.policy = policy }

  /// Whether an attempt may start at `now`, and how long it may wait for its answer (never
  /// past the give-up time).
  public mutating func attempt(at now: ContinuousClock.Instant) -> Attempt {
    if let gaveUpAfter { return .refused(waited: gaveUpAfter) }
    guard let outageStart else {
      return .run(timeout: min(policy.attemptTimeout, policy.giveUpAfter))
    }
    let waited = outageStart.duration(to: now)
    let left = policy.giveUpAfter - waited
    guard left > .zero else { return giveUp(waited: waited) }
    return .run(timeout: min(policy.attemptTimeout, left))
  }

  /// Records a connection failure at `now` of an attempt that started at `attemptStarted`
  /// (an attempt that timed out waited for the database too): retry after the next delay,
  /// or give up.
  public mutating func failed(
    at now: ContinuousClock.Instant, attemptStarted: ContinuousClock.Instant
  ) -> Decision {
    if let gaveUpAfter { return .giveUp(waited: gaveUpAfter) }
    let start = min(outageStart ?? attemptStarted, attemptStarted)
    outageStart = start
    failures += 1
    let waited = start.duration(to: now)
    let left = policy.giveUpAfter - waited
    guard left > .zero else {
      _ = giveUp(waited: waited)
      return .giveUp(waited: waited)
    }
    return .retry(after: min(delay(afterFailures: failures), left), givingUpIn: left)
  }

  /// Records an answer at `now`: the outage is over. Returns how long it lasted, nil when
  /// there was none.
  public mutating func succeeded(at now: ContinuousClock.Instant) -> Duration? {
    guard let outageStart, gaveUpAfter == nil else { return nil }
    self.outageStart = nil
    failures = 0
    return outageStart.duration(to: now)
  }

  /// `firstDelay` doubled for each failure after the first, at most `maximumDelay`.
  func delay(afterFailures count: Int) -> Duration {
    var delay = policy.firstDelay
    for _ in 1..<max(1, count) where delay < policy.maximumDelay { delay *= 2 }
    return min(delay, policy.maximumDelay)
  }

  private mutating func giveUp(waited: Duration) -> Attempt {
    gaveUpAfter = waited
    return .refused(waited: waited)
  }
}

extension Duration {
  /// Seconds for a log line: `0.5 s`, `2 s`, `57 s` (a tenth below 10 s, whole seconds above).
  var secondsText: String {
    let seconds = Double(components.seconds) + Double(components.attoseconds) * 1e-18
    if seconds >= 10 { return "\(Int(seconds.rounded())) s" }
    let tenths = (seconds * 10).rounded() / 10
    return tenths == tenths.rounded() ? "\(Int(tenths)) s" : "\(tenths) s"
  }
}
