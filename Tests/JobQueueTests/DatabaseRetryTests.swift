import Testing

@testable import JobQueue

extension DatabaseRetry {
  /// A failure of an attempt that failed at once.
  mutating func failed(at now: ContinuousClock.Instant) -> Decision {
    failed(at: now, attemptStarted: now)
  }
}
/// The worker's back-off state machine (docs/job_queue.md, "When the database goes away"),
/// with the time passed in.
@Suite("Database retry")
struct DatabaseRetryTests {
  let start = ContinuousClock.now

  func at(_ seconds: Double) -> ContinuousClock.Instant { start + .seconds(seconds) }

  @Test("back-off: 0.5 s doubling to 8 s, never past the give-up time; then it gives up for good")
  func backOff() {
    var retry = DatabaseRetry(policy: .init(giveUpAfter: .seconds(60)))
    var now = 0.0
    var delays: [Duration] = []
    while case .retry(let delay, let left) = retry.failed(at: at(now)) {
      #expect(left == .seconds(60 - now))
      delays.append(delay)
      now += Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18
    }
    #expect(
      delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]
        + Array(repeating: .seconds(8), count: 6) + [.seconds(4.5)])
    #expect(now == 60 && retry.gaveUpAfter == .seconds(60))
    // Final: every later attempt is refused, an answer changes nothing.
    #expect(retry.attempt(at: at(61)) == .refused(waited: .seconds(60)))
    #expect(retry.failed(at: at(62)) == .giveUp(waited: .seconds(60)))
    #expect(retry.succeeded(at: at(63)) == nil)
    #expect(retry.attempt(at: at(64)) == .refused(waited: .seconds(60)))
  }

  @Test("an answer ends the outage: the next failure starts a new one at the first delay")
  func answerEndsOutage() {
    var retry = DatabaseRetry(policy: .init(giveUpAfter: .seconds(10)))
    #expect(retry.succeeded(at: at(0)) == nil)
    _ = retry.failed(at: at(1))
    _ = retry.failed(at: at(1.5))
    #expect(retry.failed(at: at(2.5)) == .retry(after: .seconds(2), givingUpIn: .seconds(8.5)))
    #expect(retry.succeeded(at: at(4)) == .seconds(3))
    #expect(retry.outageStart == nil && retry.failures == 0)
    #expect(retry.failed(at: at(30)) == .retry(after: .milliseconds(500), givingUpIn: .seconds(10)))
  }

  @Test("an attempt that timed out counts from its start: the database was away all along")
  func timedOutAttempt() {
    var retry = DatabaseRetry(policy: .init(giveUpAfter: .seconds(60)))
    #expect(
      retry.failed(at: at(5), attemptStarted: at(0))
        == .retry(after: .milliseconds(500), givingUpIn: .seconds(55)))
    #expect(retry.outageStart == at(0))
    // An attempt that started earlier still moves the outage's start back.
    _ = retry.failed(at: at(6), attemptStarted: at(-1))
    #expect(retry.outageStart == at(-1))
    var short = DatabaseRetry(policy: .init(giveUpAfter: .seconds(3)))
    #expect(short.failed(at: at(3), attemptStarted: at(0)) == .giveUp(waited: .seconds(3)))
  }

  @Test("an attempt waits at most the attempt time-out, and never past the give-up time")
  func attemptTimeout() {
    var retry = DatabaseRetry(policy: .init(giveUpAfter: .seconds(60)))
    #expect(retry.attempt(at: at(0)) == .run(timeout: .seconds(5)))
    var short = DatabaseRetry(policy: .init(giveUpAfter: .seconds(3)))
    #expect(short.attempt(at: at(0)) == .run(timeout: .seconds(3)))
    _ = retry.failed(at: at(0))
    #expect(retry.attempt(at: at(20)) == .run(timeout: .seconds(5)))
    #expect(retry.attempt(at: at(57)) == .run(timeout: .seconds(3)))
    // Past the time, an attempt gives up without a failure of its own.
    #expect(retry.attempt(at: at(61)) == .refused(waited: .seconds(61)))
    #expect(retry.gaveUpAfter == .seconds(61))
  }

  @Test("durations in log lines")
  func secondsText() {
    #expect(Duration.milliseconds(500).secondsText == "0.5 s")
    #expect(Duration.seconds(2).secondsText == "2 s")
    #expect(Duration.seconds(57.4).secondsText == "57 s")
    #expect(Duration.seconds(9.96).secondsText == "10 s")
  }
}
