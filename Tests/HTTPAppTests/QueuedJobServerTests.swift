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
}
