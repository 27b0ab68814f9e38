import Artifacts
import Foundation
import JobQueue
import Logging
import PostgresTestSupport
import Testing
import ThreadPrimitives

/// The PostgreSQL job queue with real `episode-run worker` processes (docs/job_queue.md):
/// workers killed with -9 lose their lease and the job runs again elsewhere; a poisoned
/// episode fails after its attempts with its error.
@Suite("episode-run queue and workers, end to end", .serialized)
struct QueueEndToEndTests {
  /// The sample's stages kept short: 2 analysed frames a second, 2 crops per track.
  static let shortRun = ["--option", "target_fps=2", "--option", "max_crops_per_track=2"]

  /// A worker process in the background, its output in a file.
  final class Worker {
    let process: Process
    let log: URL

    init(_ arguments: [String]) throws {
      log = FileManager.default.temporaryDirectory
        .appendingPathComponent("queue-worker-\(UUID().uuidString).log")
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      process = try EpisodeRunProcess.process(["worker"] + arguments)
      let handle = try FileHandle(forWritingTo: log)
      process.standardOutput = handle
      process.standardError = handle
      try process.run()
      // Nice 10: the workers' pipelines must not starve the suites running beside them.
      _ = setpriority(
        __priority_which_t(PRIO_PROCESS.rawValue), id_t(process.processIdentifier), 10)
    }

    /// The worker names its slots `host:pid:slot`.
    var slotPrefix: String {
      "\(ProcessInfo.processInfo.hostName):\(process.processIdentifier):"
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits for the exit (a process exit is the cue, never a sleep) and returns the status.
    func wait() async -> Int32 {
      let process = self.process
      return await runOnOwnThread {
        process.waitUntilExit()
        return process.terminationStatus
      }
    }

    deinit {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      try? FileManager.default.removeItem(at: log)
    }
  }

  /// A temporary data root holding `episodes`, each the sample's video (a link).
  static func dataRoot(_ episodes: [String], video source: String = "sample-s01e01") throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-queue-\(UUID().uuidString)")
    let video = EpisodeRunProcess.repositoryRoot
      .appendingPathComponent("data/videos/\(source)/episode.mp4")
    for episode in episodes {
      let folder = root.appendingPathComponent("videos/\(episode)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(
        at: folder.appendingPathComponent("episode.mp4"), withDestinationURL: video)
    }
    return root
  }

  static func cli(_ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
    let outcome = try EpisodeRunProcess.run(arguments)
    try #require(outcome.status == 0, "\(arguments): \(outcome.combined)")
    return outcome
  }

  /// `queue status --json`: the jobs by ep_id.
  static func status(_ url: String) throws -> [String: [String: Any]] {
    let text = try cli(["queue", "status", "--database-url", url, "--json"]).standardOutput
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let jobs = try #require(document["jobs"] as? [[String: Any]])
    return Dictionary(uniqueKeysWithValues: jobs.map { ($0["ep_id"] as? String ?? "", $0) })
  }

  @Test("three episodes, two workers, one killed with -9 mid-job: each ends succeeded once")
  func killedWorker() async throws {
    let url = try await TestPostgres.database()
    let episodes = ["queue-s01e01", "queue-s01e02", "queue-s01e03"]
    let root = try Self.dataRoot(episodes)
    defer { try? FileManager.default.removeItem(at: root) }
    let submitted = try Self.cli(
      ["queue", "submit", "--database-url", url, "--data-root", root.path]
        + episodes.flatMap { ["--ep-id", $0] } + Self.shortRun)
    #expect(submitted.standardOutput.split(separator: "\n").count == 3)

    let arguments = [
      "--database-url", url, "--data-root", root.path, "--lease-seconds", "5",
      "--poll-seconds", "0.2", "--inference-threads", "1", "--decoder-threads", "1",
      "--exit-when-idle",
    ]
    let victim = try Worker(arguments)
    let survivor = try Worker(arguments)
    let (first, second) = (victim.slotPrefix, survivor.slotPrefix)
    // Killed while its job shows progress, and while the other worker runs a job too: at once,
    // before the queue connection closes (a short job can end in the time that takes on a
    // loaded machine). The queue is watched off the cooperative pool, which other suites'
    // tests may hold.
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let victimID = victim.process.processIdentifier
    try await offThePool {
      try await JobQueue.withQueue(url: try DatabaseURL(url), logger: logger) { queue in
        _ = try await eventually("both workers to run a job, the first with progress") {
          let running = try await queue.jobs(in: [.running])
          let ready =
            running.contains { $0.worker?.hasPrefix(first) == true && $0.progress != nil }
            && running.contains { $0.worker?.hasPrefix(second) == true }
          if ready { kill(victimID, SIGKILL) }
          return ready ? running : nil
        }
      }
    }
    #expect(await victim.wait() == SIGKILL && victim.process.terminationReason == .uncaughtSignal)
    #expect(await survivor.wait() == 0, "\(survivor.output)")

    let jobs = try Self.status(url)
    #expect(jobs.count == 3)
    // The job the first worker was running: its lease expired, the second worker ran it again.
    let killed = try #require(
      jobs.values.first {
        ($0["error"] as? String)?.contains("worker \(first)1 lost its lease on attempt 1") == true
      }, "\(jobs)\n\(victim.output)")
    let killedEpisode = try #require(killed["ep_id"] as? String)
    #expect((killed["worker"] as? String)?.hasPrefix(second) == true, "\(killed)")
    for episode in episodes {
      let job = try #require(jobs[episode])
      #expect(job["state"] as? String == "succeeded", "\(episode): \(job)")
      #expect(job["attempts"] as? Int == (episode == killedEpisode ? 2 : 1), "\(episode): \(job)")
      let validated = try EpisodeRunProcess.run([
        "validate", "--ep-id", episode, "--data-root", root.path,
      ])
      #expect(validated.status == 0, "\(episode): \(validated.combined)")
      #expect(
        !FileManager.default.fileExists(
          atPath: root.appendingPathComponent("manifests/\(episode)/.commit-journal.json").path))
      // The attempt that succeeded committed each stage once, in the log of its worker.
      let worker = try #require(job["worker"] as? String)
      let log = [victim, survivor].first { worker.hasPrefix($0.slotPrefix) }?.output ?? ""
      for stage in ["detect_track", "faces_embed", "cluster"] {
        let commits = log.split(separator: "\n").filter {
          $0.contains("ep_id=\(episode) ") && $0.contains("stage \(stage) committed")
        }
        #expect(commits.count == 1, "\(episode) \(stage) in \(worker)'s log:\n\(log)")
      }
    }
  }

  @Test("a poisoned episode fails after its attempts, its error in queue status; retry, cancel")
  func poisonedEpisode() async throws {
    let url = try await TestPostgres.database()
    let root = try Self.dataRoot([])
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("videos/poison-s01e01")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(String(repeating: "not a video\n", count: 500).utf8)
      .write(to: folder.appendingPathComponent("episode.mp4"))
    _ = try Self.cli([
      "queue", "submit", "--database-url", url, "--data-root", root.path, "--ep-id",
      "poison-s01e01", "--max-attempts", "3", "--stages", "detect_track",
    ])
    let worker = try Worker([
      "--database-url", url, "--data-root", root.path, "--poll-seconds", "0.2",
      "--retry-delay-seconds", "0", "--exit-when-idle",
    ])
    #expect(await worker.wait() == 0, "\(worker.output)")
    let job = try #require(try Self.status(url)["poison-s01e01"])
    #expect(job["state"] as? String == "failed" && job["attempts"] as? Int == 3, "\(job)")
    let error = try #require(job["error"] as? String)
    #expect(error.contains("attempt 3 on \(worker.slotPrefix)1: cannot open video"), "\(error)")
    #expect(error.contains("Invalid data found"), "\(error)")
    #expect(worker.output.contains("attempt failed (failed for good)"), "\(worker.output)")
    let table = try Self.cli(["queue", "status", "--database-url", url]).standardOutput
    #expect(table.contains("poison-s01e01  failed") && table.contains("1 failed"), "\(table)")

    let id = try #require(job["id"] as? Int)
    let retried = try Self.cli(["queue", "retry", "--database-url", url, "\(id)"])
    #expect(retried.standardOutput.contains("job \(id) (poison-s01e01) queued again"))
    let again = try Self.cli([
      "queue", "submit", "--database-url", url, "--data-root", root.path, "--ep-id",
      "poison-s01e01", "--stages", "detect_track",
    ])
    #expect(again.standardOutput.contains("already has job \(id) queued"), "\(again.combined)")
    let cancelled = try Self.cli(["queue", "cancel", "--database-url", url, "\(id)"])
    #expect(cancelled.standardOutput.contains("job \(id) (poison-s01e01) cancelled"))
    let refused = try EpisodeRunProcess.run(["queue", "cancel", "--database-url", url, "\(id)"])
    #expect(
      refused.status == 1 && refused.standardError.contains("is cancelled: it cannot be cancelled"))
    let unreachable = try EpisodeRunProcess.run([
      "queue", "status", "--database-url", try TestPostgres.unreachableURL(),
    ])
    #expect(unreachable.status != 0)
    #expect(unreachable.combined.contains("cannot reach the job queue's database at postgres://"))
  }
}
