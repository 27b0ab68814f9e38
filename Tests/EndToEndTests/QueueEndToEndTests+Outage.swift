import Foundation
import JobQueue
import Logging
import PostgresTestSupport
import Testing

/// Real workers while PostgreSQL restarts or stays away (docs/job_queue.md, "When the database
/// goes away"), on a server of the test's own (the shared one serves the other suites).
extension QueueEndToEndTests {
  /// Polls the queue at `url`, off the cooperative pool, until `ready` holds for its jobs; a
  /// time-out says what `workers` logged. The queue session is closed when this returns.
  static func untilQueue(
    _ url: String, _ workers: [Worker], _ what: String, _ ready: ([QueuedJob]) -> Bool
  ) async throws {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    do {
      try await offThePool {
        try await JobQueue.withQueue(url: try DatabaseURL(url), logger: logger) { queue in
          _ = try await eventually(what) {
            let jobs = try await queue.jobs()
            return ready(jobs) ? jobs : nil
          }
        }
      }
    } catch let error as TimedOut {
      throw TimedOut(description: "\(error)\n\(logs(workers))")
    }
  }

  /// Waits until every worker's log has `text`; a time-out says what they logged.
  static func untilEachLogs(_ text: String, _ workers: [Worker]) async throws {
    do {
      _ = try await eventually("each worker to log \"\(text)\"") {
        workers.allSatisfy { $0.output.contains(text) } ? true : nil
      }
    } catch let error as TimedOut {
      throw TimedOut(description: "\(error)\n\(logs(workers))")
    }
  }

  static func logs(_ workers: [Worker]) -> String {
    workers.map(\.output).joined(separator: "\n---\n")
  }

  /// Until every worker in `workers` runs a job with progress.
  static func untilEachRuns(_ url: String, _ workers: [Worker]) async throws {
    let prefixes = workers.map(\.slotPrefix)
    try await untilQueue(url, workers, "every worker to run a job with progress") { jobs in
      prefixes.allSatisfy { prefix in
        jobs.contains {
          $0.state == .running && $0.worker?.hasPrefix(prefix) == true && $0.progress != nil
        }
      }
    }
  }

  @Test(
    "four episodes, two workers, PostgreSQL restarted and then away for a while: each ends succeeded on its first attempt"
  )
  func databaseRestart() async throws {
    let server = try await TestPostgres.ownServer()
    let url = try await server.database()
    let episodes = (1...4).map { "restart-s01e0\($0)" }
    let root = try Self.dataRoot(episodes)
    defer { try? FileManager.default.removeItem(at: root) }
    // Small jobs (detect-track at 2 frames a second): the suites beside this one share the
    // cores.
    _ = try Self.cli(
      ["queue", "submit", "--database-url", url, "--data-root", root.path]
        + episodes.flatMap { ["--ep-id", $0] } + [
          "--stages", "detect_track", "--option", "target_fps=2",
        ])
    // A lease far longer than the outage: no job may change hands. No --exit-when-idle: the
    // workers poll until the test stops them, so each meets the outage however fast the
    // jobs run on a loaded machine.
    let arguments = [
      "--database-url", url, "--data-root", root.path, "--lease-seconds", "60",
      "--heartbeat-seconds", "1", "--poll-seconds", "0.2", "--inference-threads", "1",
      "--decoder-threads", "1",
    ]
    let workers = [try Worker(arguments), try Worker(arguments)]
    // The check: `pg_ctl restart -m fast` while both workers run a job.
    try await Self.untilEachRuns(url, workers)
    try await server.restart()
    // Then away until each worker has retried a call (a heartbeat, a finish or a claim).
    try await server.stop()
    try await Self.untilEachLogs("database unreachable (", workers)
    try await server.start()
    try await Self.untilEachLogs("database reachable again after", workers)
    try await Self.untilQueue(url, workers, "every job to end") { jobs in
      jobs.count == episodes.count && jobs.allSatisfy(\.state.isFinal)
    }
    for worker in workers { kill(worker.process.processIdentifier, SIGTERM) }
    for worker in workers {
      #expect(await worker.wait() == 0, "\(worker.output)")
      #expect(!worker.output.contains("giving up:"), "\(worker.output)")
      #expect(!worker.output.contains("cannot record the outcome"), "\(worker.output)")
    }
    let jobs = try Self.status(url)
    #expect(jobs.count == 4)
    for episode in episodes {
      let job = try #require(jobs[episode])
      #expect(job["state"] as? String == "succeeded", "\(episode): \(job)")
      #expect(job["attempts"] as? Int == 1, "\(episode): \(job)")
      let validated = try EpisodeRunProcess.run([
        "validate", "--ep-id", episode, "--data-root", root.path,
      ])
      #expect(validated.status == 0, "\(episode): \(validated.combined)")
      let worker = try #require(job["worker"] as? String)
      let log = workers.first { worker.hasPrefix($0.slotPrefix) }?.output ?? ""
      let commits = log.split(separator: "\n").filter {
        $0.contains("ep_id=\(episode) ") && $0.contains("stage detect_track committed")
      }
      #expect(commits.count == 1, "\(episode) in \(worker)'s log:\n\(log)")
    }
  }

  @Test(
    "the database away past --database-timeout-seconds: the worker exits 1 naming it; its job is claimable once the lease expires"
  )
  func databaseGone() async throws {
    let server = try await TestPostgres.ownServer()
    let url = try await server.database()
    // The job must still be running when the server stops: the 56-second walk-in episode at
    // every frame runs for minutes, and the worker stops it seconds after the database goes,
    // so its length costs nothing. (The 20-second sample at defaults once finished first.)
    let root = try Self.dataRoot(["gone-s01e01"], video: "walkin-s01e01")
    defer { try? FileManager.default.removeItem(at: root) }
    _ = try Self.cli([
      "queue", "submit", "--database-url", url, "--data-root", root.path, "--ep-id",
      "gone-s01e01", "--option", "target_fps=0",
    ])
    let worker = try Worker([
      "--database-url", url, "--data-root", root.path, "--lease-seconds", "4",
      "--heartbeat-seconds", "1", "--poll-seconds", "0.2", "--database-timeout-seconds", "3",
      "--inference-threads", "1", "--decoder-threads", "1",
    ])
    try await Self.untilEachRuns(url, [worker])
    let stopping = ContinuousClock.now
    try await server.stop()
    let stopped = ContinuousClock.now
    #expect(await worker.wait() == 1, "\(worker.output)")
    // Three seconds without an answer, then the job stopped at its next batch: not before the
    // time-out, and long before the job could end. The bounds are wide (CI's two cores are
    // shared with every other suite, and `pg_ctl stop` itself can take seconds there); the
    // job left unfinished, below, is what shows the worker did not run it to its end.
    let sinceStopping = stopping.duration(to: .now)
    let sinceStopped = stopped.duration(to: .now)
    #expect(sinceStopping > .seconds(3), "\(sinceStopping)\n\(worker.output)")
    #expect(sinceStopped < .seconds(60), "\(sinceStopped)\n\(worker.output)")
    #expect(!worker.output.contains("stage detect_track committed"), "\(worker.output)")
    let lines = worker.output.split(separator: "\n")
    let last = try #require(lines.last.map(String.init))
    let named = try DatabaseURL(url).description
    #expect(
      last.hasPrefix("Error: giving up: the job queue's database at \(named) has not answered for ")
        && last.contains("(database timeout 3 s)"), "\(worker.output)")
    // Retried meanwhile: each attempt waits a quarter of the time-out for its answer.
    #expect(
      lines.contains { $0.contains("database unreachable (") && $0.contains("; retrying in ") },
      "\(worker.output)")

    try await server.start()
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let prefix = worker.slotPrefix
    try await offThePool {
      try await JobQueue.withQueue(url: try DatabaseURL(url), logger: logger) { queue in
        let left = try #require(try await queue.jobs().first)
        #expect(left.state == .running && left.attempts == 1, "\(left)")
        #expect(left.worker?.hasPrefix(prefix) == true, "\(left)")
        let (job, _) = try await eventually("the job to be claimable once its lease expires") {
          try await queue.claim(worker: "after-the-outage", leaseSeconds: 60)
        }
        #expect(job.id == left.id && job.attempts == 2, "\(job)")
        #expect(job.error?.contains("\(prefix)1 lost its lease on attempt 1") == true, "\(job)")
      }
    }
  }
}
