import Foundation
import Hummingbird
import HummingbirdTesting
import JobQueue
import Logging
import PostgresTestSupport
import Testing

@testable import HTTPApp

/// `faceharvest-server --database-url`: job requests go to the PostgreSQL queue
/// (docs/job_queue.md, "The job server"), checked as in-process ones are.
@Suite("Job server with a job queue")
struct QueuedJobServerTests {
  @Test("jobs are queued, read, refused and cancelled through the queue")
  func queuedJobs() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let url = try DatabaseURL(try await TestPostgres.database())
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    try await JobQueue.withQueue(url: url, logger: logger) { queue in
      let (app, _) = try fixture.application(queue: queue)
      try await app.test(.router) { client in
        let episode = ServerFixture.episode
        var jobID = ""
        try await client.execute(
          uri: "/jobs/pipeline", method: .post,
          body: try body(["ep_id": episode, "target_fps": 2])
        ) { response in
          #expect(response.status == .accepted)
          jobID = try #require(try object(response.body)["job_id"] as? String)
          #expect(response.headers[.location] == "/jobs/\(jobID)")
        }
        try await client.execute(
          uri: "/jobs/pipeline", method: .post, body: try body(["ep_id": episode])
        ) { response in
          let conflict = try object(response.body)
          #expect(response.status == .conflict && conflict["job_id"] as? String == jobID)
        }
        try await client.execute(
          uri: "/jobs/pipeline", method: .post, body: try body(["ep_id": episode, "bogus": 1])
        ) { #expect($0.status == .badRequest) }
        try await client.execute(uri: "/jobs/\(jobID)", method: .get) { response in
          let job = try object(response.body)
          #expect(job["state"] as? String == "queued" && job["kind"] as? String == "pipeline")
          #expect(job["ep_id"] as? String == episode && job["attempts"] as? Int == 0)
          #expect((job["options"] as? [String: Any])?["target_fps"] as? Int == 2)
        }
        try await client.execute(uri: "/jobs", method: .get) { response in
          let jobs = try object(response.body)["jobs"] as? [Any]
          #expect(jobs?.count == 1)
        }
        try await client.execute(uri: "/jobs/\(jobID)/events", method: .get) {
          #expect($0.status == .notFound)
        }
        try await client.execute(uri: "/jobs/\(jobID)/cancel", method: .post) { response in
          let job = try object(response.body)
          #expect(response.status == .accepted && job["state"] as? String == "cancelled")
        }
        try await client.execute(uri: "/jobs/\(jobID)/cancel", method: .post) {
          #expect($0.status == .conflict)
        }
        try await client.execute(uri: "/jobs/999", method: .get) {
          #expect($0.status == .notFound)
        }
      }
      #expect(try await queue.jobs().map(\.state) == [.cancelled])
    }
  }

  @Test("in queue mode the episode list shows each episode's newest queued job as the queue has it")
  func episodeListInQueueMode() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let url = try DatabaseURL(try await TestPostgres.database())
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let episode = ServerFixture.episode
    let (local, _) = try fixture.application()
    try await local.test(.router) { client in
      let (mode, job) = try await Self.listed(client, episode)
      #expect(mode == "server" && job == nil)
    }
    try await JobQueue.withQueue(url: url, logger: logger) { queue in
      let (app, _) = try fixture.application(queue: queue)
      try await app.test(.router) { client in
        var (mode, job) = try await Self.listed(client, episode)
        #expect(mode == "queue" && job == nil)
        let jobID = try await client.execute(
          uri: "/jobs/pipeline", method: .post, body: try body(["ep_id": episode])
        ) { try #require(try object($0.body)["job_id"] as? String) }
        (mode, job) = try await Self.listed(client, episode)
        #expect(job?["job_id"] as? String == jobID && job?["state"] as? String == "queued")
        #expect(job?["attempts"] as? Int == 0 && job?["kind"] as? String == "pipeline")
        _ = try await queue.claim(worker: "host:1:1", leaseSeconds: 60)
        (mode, job) = try await Self.listed(client, episode)
        #expect(job?["state"] as? String == "running" && job?["attempts"] as? Int == 1)
        #expect(job?["worker"] as? String == "host:1:1")
      }
    }
  }

  /// `GET /episodes`: where jobs go, and `episode`'s `last_job`.
  static func listed(_ client: some TestClientProtocol, _ episode: String) async throws -> (
    String?, [String: Any]?
  ) {
    try await client.execute(uri: "/episodes", method: .get) { response in
      let list = try object(response.body)
      let entry = (list["episodes"] as? [[String: Any]])?.first {
        $0["ep_id"] as? String == episode
      }
      return (list["jobs"] as? String, entry?["last_job"] as? [String: Any])
    }
  }
}
