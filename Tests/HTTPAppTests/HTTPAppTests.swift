import Artifacts
import FaceHarvestCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Inference
import JobQueue
import Logging
import NIOCore
import Testing
import Yams

@testable import HTTPApp

/// A scratch data root with the sample episode's video and its oracle detections and tracks.
struct ServerFixture {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let episode = "sample-s01e01"

  let root: URL
  var layout: DataLayout { DataLayout(root: root) }
  var manifests: URL { root.appendingPathComponent("manifests/\(Self.episode)") }

  init(withTracks: Bool = true) throws {
    root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-server-\(UUID().uuidString)")
    let data = Self.repositoryRoot.appendingPathComponent("data")
    let video = root.appendingPathComponent("videos/\(Self.episode)")
    try FileManager.default.createDirectory(at: video, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: video.appendingPathComponent("episode.mp4"),
      withDestinationURL: data.appendingPathComponent("videos/\(Self.episode)/episode.mp4"))
    try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
    if withTracks {
      for name in ["detections.jsonl", "tracks.jsonl"] {
        try FileManager.default.copyItem(
          at: data.appendingPathComponent("ground_truth/\(Self.episode)/\(name)"),
          to: manifests.appendingPathComponent(name))
      }
    }
  }

  func remove() { try? FileManager.default.removeItem(at: root) }

  func application(maxConcurrentJobs: Int = 1, apiToken: String? = nil, queue: JobQueue? = nil)
    throws -> (
      Application<RouterResponder<BasicRequestContext>>, JobManager
    )
  {
    let deps =
      ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"].flatMap {
        $0.isEmpty ? nil : $0
      } ?? Self.repositoryRoot.appendingPathComponent(".deps").path
    let manifest = try ModelManifest.load(
      from: URL(fileURLWithPath: deps).appendingPathComponent("models/manifest.json"))
    let logger = Logger(label: "test.server")
    let manager = JobManager(maxConcurrentJobs: maxConcurrentJobs, logger: logger)
    let factory = JobFactory(
      layout: layout, manifest: manifest,
      configDirectory: Self.repositoryRoot.appendingPathComponent("config/pipeline"),
      logger: logger)
    let app = FaceHarvestServer.application(
      host: "127.0.0.1", port: 0, manager: manager, factory: factory, layout: layout,
      apiToken: apiToken, queue: queue, logger: logger)
    return (app, manager)
  }
}

/// Parses an SSE body into (id, event, data object) triples, failing on bad framing.
func parseEvents(_ text: String) throws -> [(id: Int, name: String, data: [String: Any])] {
  var events: [(Int, String, [String: Any])] = []
  for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
    var id: Int?
    var name: String?
    var data: [String: Any]?
    for line in block.split(separator: "\n") {
      if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
      if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
      if line.hasPrefix("data: ") {
        data =
          try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
      }
    }
    events.append((try #require(id), try #require(name), try #require(data)))
  }
  return events
}

func body(_ object: [String: Any]) throws -> ByteBuffer {
  ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

func object(_ buffer: ByteBuffer) throws -> [String: Any] {
  try #require(
    try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
}

@Suite("Job server", .serialized)
struct HTTPAppTests {
  @Test("bad requests: traversal, absolute paths, unknown episode or job, missing inputs, size")
  func errors() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      for bad in ["../etc", "%2e%2e", "/etc/passwd", "a/b", ""] {
        try await client.execute(
          uri: "/jobs/faces_embed", method: .post, body: try body(["ep_id": bad])
        ) { response in
          #expect(response.status == .badRequest, "\(bad)")
          let problem = try object(response.body)
          #expect(problem["error"] is String && problem["detail"] is String)
        }
      }
      for path in [
        "/episodes/..%2F..%2Fetc/faces", "/episodes/%2e%2e/identities",
        "/episodes/%2e%2e/screentime",
      ] {
        try await client.execute(uri: path, method: .get) { response in
          #expect(response.status == .badRequest, "\(path)")
        }
      }
      try await client.execute(
        uri: "/episodes/\(ServerFixture.episode)/crops/track-00001/..%2F..%2Fsecret.jpg",
        method: .get
      ) { #expect($0.status == .badRequest) }
      try await client.execute(
        uri: "/jobs/faces_embed", method: .post, body: try body(["ep_id": "no-such-episode"])
      ) { #expect($0.status == .notFound) }
      // tracks.jsonl is absent: 400 before anything is queued.
      try await client.execute(
        uri: "/jobs/faces_embed", method: .post, body: try body(["ep_id": ServerFixture.episode])
      ) { response in
        #expect(response.status == .badRequest)
        #expect(String(buffer: response.body).contains("tracks.jsonl"))
      }
      try await client.execute(
        uri: "/jobs/detect_track", method: .post,
        body: try body(["ep_id": ServerFixture.episode, "strides": 2])
      ) { response in
        #expect(response.status == .badRequest)
        #expect(String(buffer: response.body).contains("strides"))
      }
      try await client.execute(
        uri: "/jobs/detect_track", method: .post, body: ByteBuffer(string: "{\"ep_id\": ")
      ) { #expect($0.status == .badRequest) }
      try await client.execute(
        uri: "/jobs/detect_track", method: .post,
        body: ByteBuffer(repeating: UInt8(ascii: " "), count: 200_000)
      ) { #expect($0.status == .contentTooLarge) }
      try await client.execute(uri: "/jobs/job-999999", method: .get) {
        #expect($0.status == .notFound)
      }
      try await client.execute(uri: "/no/such/route", method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/json")
        let reply = try object(response.body)
        #expect(reply["error"] as? String == "not found")
      }
      try await client.execute(uri: "/jobs", method: .get) { response in
        #expect(response.status == .ok)
        let reply = try object(response.body)
        #expect((reply["jobs"] as? [Any])?.isEmpty == true)
      }
    }
  }

  @Test("dry_run answers the resolved options and queues nothing; det_thresh alone moves the bands")
  func dryRun() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      try await client.execute(
        uri: "/jobs/pipeline?dry_run=true", method: .post,
        body: try body(["ep_id": ServerFixture.episode, "det_thresh": 0.7, "min_face_size": 40])
      ) { response in
        #expect(response.status == .ok)
        let reply = try object(response.body)
        let options = try #require(reply["options"] as? [String: [String: Any]])
        #expect(options["detect_track"]?["det_thresh"] as? Double == 0.7)
        #expect(options["detect_track"]?["new_track_thresh"] as? Double == 0.7)
        #expect(options["faces_embed"]?["min_face_size"] as? Int == 40)
        #expect(options["cluster"]?["linkage"] as? String == "average")
      }
      // An option of a stage the job does not run is refused, as on the command line.
      try await client.execute(
        uri: "/jobs/detect_track?dry_run=true", method: .post,
        body: try body(["ep_id": ServerFixture.episode, "min_face_size": 40])
      ) { response in
        #expect(response.status == .badRequest)
        let reply = try object(response.body)
        #expect((reply["detail"] as? String)?.hasPrefix("unknown option \"min_face_size\"") == true)
      }
      try await client.execute(uri: "/jobs", method: .get) { response in
        let reply = try object(response.body)
        #expect((reply["jobs"] as? [Any])?.isEmpty == true)
      }
    }
  }

  @Test("a damaged faces.jsonl is a 500 with a JSON body naming file and line, not an empty 500")
  func damagedFaces() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    let url = fixture.layout.faces(try EpisodeID(ServerFixture.episode))
    try Data("{\"face_id\": \"face-00001\"}\n{broken\n".utf8).write(to: url)
    try await app.test(.router) { client in
      try await client.execute(uri: "/episodes/\(ServerFixture.episode)/faces", method: .get) {
        response in
        #expect(response.status == .internalServerError)
        #expect(response.headers[.contentType] == "application/json")
        let reply = try object(response.body)
        #expect(reply["error"] as? String == "damaged artifact")
        let detail = try #require(reply["detail"] as? String)
        #expect(detail.hasPrefix("manifests/\(ServerFixture.episode)/faces.jsonl:2:"), "\(detail)")
      }
    }
  }

  @Test("screen time is served as written; absent, it is a 404 JSON error")
  func screenTime() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    let uri = "/episodes/\(ServerFixture.episode)/screentime"
    try await app.test(.router) { client in
      try await client.execute(uri: uri, method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/json")
        let reply = try object(response.body)
        #expect(reply["detail"] as? String == "\(ServerFixture.episode) has no screentime.json")
      }
      let written = Data("{\"ep_id\": \"\(ServerFixture.episode)\", \"name\": \"Zoë\"}\n".utf8)
      let url = fixture.layout.screentimeJSON(try EpisodeID(ServerFixture.episode))
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try written.write(to: url)
      try await client.execute(uri: uri, method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(Data(response.body.readableBytesView) == written)
      }
    }
  }

  @Test("a harvest job streams progress as SSE (ids increase, ends with done); resume works")
  func harvestOverSSE() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      let events = try await client.execute(
        uri: "/jobs/faces_embed", method: .post, headers: [.accept: "text/event-stream"],
        body: try body(["ep_id": ServerFixture.episode, "sample_interval": 20])
      ) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/event-stream")
        return try parseEvents(String(buffer: response.body))
      }
      try #require(events.count >= 2)
      #expect(events.map(\.id) == Array(1...events.count))
      #expect(events.dropLast().allSatisfy { $0.name == "progress" })
      for event in events.dropLast() {
        for key in ["phase", "faces_done", "faces_total", "frames_done", "fps", "elapsed"] {
          #expect(event.data[key] != nil, "\(key) in \(event.data)")
        }
      }
      let done = try #require(events.last)
      #expect(done.name == "done")
      #expect(
        (done.data["result"] as? [String])?.contains("embeds/\(ServerFixture.episode)/faces.npy")
          == true)
      #expect((done.data["summary"] as? [String: Any])?["faces_kept"] as? Int ?? 0 > 0)

      // The job is listed and resumable after its end with Last-Event-ID.
      let jobID = try await client.execute(uri: "/jobs", method: .get) { response in
        let jobs = try #require(try object(response.body)["jobs"] as? [[String: Any]])
        #expect(jobs.first?["state"] as? String == "succeeded")
        return try #require(jobs.first?["job_id"] as? String)
      }
      let last = events.count - 1
      try await client.execute(
        uri: "/jobs/\(jobID)/events", method: .get,
        headers: [.init("Last-Event-ID")!: "\(last - 1)"]
      ) { response in
        let replay = try parseEvents(String(buffer: response.body))
        #expect(replay.map(\.id) == [last, last + 1])
        #expect(replay.last?.name == "done")
      }
    }
    #expect(
      FileManager.default.fileExists(
        atPath: fixture.layout.facesNPY(try EpisodeID(ServerFixture.episode)).path))
  }

  @Test("a duplicate job gets 409 with the running job's id; cancel stops it, nothing written")
  func conflictAndCancel() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let tracksBefore = try Data(
      contentsOf: fixture.manifests.appendingPathComponent("tracks.jsonl"))
    let (app, manager) = try fixture.application()
    try await app.test(.router) { client in
      let jobID = try await client.execute(
        uri: "/jobs/detect_track", method: .post,
        body: try body(["ep_id": ServerFixture.episode, "stride": 1])
      ) { response in
        #expect(response.status == .accepted)
        let reply = try object(response.body)
        #expect(reply["state"] is String)
        return try #require(reply["job_id"] as? String)
      }
      try await client.execute(
        uri: "/jobs/detect_track", method: .post, body: try body(["ep_id": ServerFixture.episode])
      ) { response in
        #expect(response.status == .conflict)
        let reply = try object(response.body)
        #expect(reply["job_id"] as? String == jobID)
      }
      // Cancel it mid-run: once it reports progress, with all 500 frames (stride 1) ahead of it.
      let job = try #require(manager.job(jobID))
      for await event in job.events(after: 0) where event.name == "progress" { break }
      try await client.execute(uri: "/jobs/\(jobID)/cancel", method: .post) {
        #expect($0.status == .accepted)
      }
      let events = try await client.execute(uri: "/jobs/\(jobID)/events", method: .get) {
        try parseEvents(String(buffer: $0.body))
      }
      #expect(events.last?.name == "error")
      #expect(events.last?.data["error"] as? String == "cancelled")
      try await client.execute(uri: "/jobs/\(jobID)", method: .get) { response in
        let reply = try object(response.body)
        #expect(reply["state"] as? String == "cancelled")
      }
    }
    // The previous artifacts are untouched and no metrics file appeared.
    #expect(
      try Data(contentsOf: fixture.manifests.appendingPathComponent("tracks.jsonl")) == tracksBefore
    )
    #expect(
      !FileManager.default.fileExists(
        atPath: fixture.manifests.appendingPathComponent("track_metrics.json").path))
  }

  @Test("a live server answers health, reading endpoints and a streamed job")
  func live() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.live) { client in
      try await client.execute(uri: "/healthz", method: .get) { response in
        #expect(response.status == .ok)
        let reply = try object(response.body)
        #expect(reply["status"] as? String == "ok")
      }
      try await client.execute(
        uri: "/jobs/faces_embed", method: .post, headers: [.accept: "text/event-stream"],
        body: try body(["ep_id": ServerFixture.episode, "save_crops": true, "sample_interval": 30])
      ) { response in
        let events = try parseEvents(String(buffer: response.body))
        #expect(events.last?.name == "done")
      }
      let first = try await client.execute(
        uri: "/episodes/\(ServerFixture.episode)/faces?limit=2&offset=1", method: .get
      ) { response in
        #expect(response.status == .ok)
        let page = try object(response.body)
        let faces = try #require(page["faces"] as? [[String: Any]])
        #expect(faces.count == 2 && (page["total"] as? Int ?? 0) >= 3)
        #expect(faces.allSatisfy { $0["embedding"] == nil })
        return try #require(faces.first)
      }
      let crop = try #require(first["crop_path"] as? String)
      try await client.execute(uri: "/episodes/\(ServerFixture.episode)/\(crop)", method: .get) {
        response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "image/jpeg")
        #expect(response.body.readableBytes > 1000)
      }
      let track = try #require(first["track_id"] as? String)
      try await client.execute(
        uri: "/episodes/\(ServerFixture.episode)/faces?track_id=\(track)", method: .get
      ) { response in
        let faces = try #require(try object(response.body)["faces"] as? [[String: Any]])
        #expect(!faces.isEmpty && faces.allSatisfy { $0["track_id"] as? String == track })
      }
      try await client.execute(uri: "/episodes/\(ServerFixture.episode)/identities", method: .get) {
        #expect($0.status == .notFound)
      }
    }
  }
}

@Suite("Job server against the CLI", .serialized)
struct JobServerCLITests {
  /// The `episode-run` that `swift build` put beside this test bundle (or in .build/debug).
  static func episodeRun() throws -> URL {
    var candidates: [URL] = []
    if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
      candidates.append(
        bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("episode-run"))
    }
    candidates.append(
      ServerFixture.repositoryRoot.appendingPathComponent(".build/debug/episode-run"))
    return try #require(
      candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
      "build episode-run first (swift build --build-tests builds it)")
  }

  @Test("a harvest job over HTTP writes the same faces.npy as the CLI")
  func sameAsCLI() async throws {
    let overHTTP = try ServerFixture()
    let withCLI = try ServerFixture()
    defer {
      overHTTP.remove()
      withCLI.remove()
    }
    let (app, _) = try overHTTP.application()
    try await app.test(.router) { client in
      let events = try await client.execute(
        uri: "/jobs/faces_embed", method: .post, headers: [.accept: "text/event-stream"],
        body: try body(["ep_id": ServerFixture.episode, "sample_interval": 12])
      ) { try parseEvents(String(buffer: $0.body)) }
      #expect(events.last?.name == "done", "\(events.last?.data ?? [:])")
    }
    let process = Process()
    process.executableURL = try Self.episodeRun()
    process.arguments = [
      "--ep-id", ServerFixture.episode, "--faces-embed", "--sample-interval", "12",
      "--data-root", withCLI.root.path,
    ]
    process.currentDirectoryURL = ServerFixture.repositoryRoot
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let episode = try EpisodeID(ServerFixture.episode)
    let http = try Data(contentsOf: overHTTP.layout.facesNPY(episode))
    let cli = try Data(contentsOf: withCLI.layout.facesNPY(episode))
    #expect(http.count > 1000)
    #expect(http == cli)
  }

  @Test("shutdown cancels a running job cleanly and waits for it")
  func shutdown() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    // The walk-in episode's 1,390 frames stand in for the sample's 500: with the other suites
    // holding CI's 2 cores, this test resumed after the sample's job had already finished.
    let video = fixture.root.appendingPathComponent("videos/\(ServerFixture.episode)/episode.mp4")
    try FileManager.default.removeItem(at: video)
    try FileManager.default.createSymbolicLink(
      at: video,
      withDestinationURL: ServerFixture.repositoryRoot.appendingPathComponent(
        "data/videos/walkin-s01e01/episode.mp4"))
    let (app, manager) = try fixture.application()
    let jobID = try await app.test(.router) { client in
      try await client.execute(
        uri: "/jobs/detect_track", method: .post,
        body: try body(["ep_id": ServerFixture.episode, "stride": 1])
      ) { response in try #require(try object(response.body)["job_id"] as? String) }
    }
    // Shut down once the stage has reported progress: it is running, with all 1,390 frames
    // (stride 1) ahead of it, tens of seconds of work.
    let job = try #require(manager.job(jobID))
    for await event in job.events(after: 0) where event.name == "progress" { break }
    manager.shutdown()
    #expect(manager.job(jobID)?.state == .cancelled)
    #expect(
      !FileManager.default.fileExists(
        atPath: fixture.manifests.appendingPathComponent("track_metrics.json").path))
  }
}

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
  @Test("docs/openapi.yaml parses and documents every route the server has")
  func documentsEveryRoute() throws {
    let url = ServerFixture.repositoryRoot.appendingPathComponent("docs/openapi.yaml")
    let document = try #require(
      try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    let routes: [(String, String)] =
      [
        ("get", "/healthz"), ("get", "/jobs"), ("get", "/jobs/{id}"), ("get", "/jobs/{id}/events"),
        ("post", "/jobs/{id}/cancel"), ("get", "/episodes/{ep_id}/faces"),
        ("get", "/episodes/{ep_id}/identities"), ("get", "/episodes/{ep_id}/screentime"),
        ("get", "/episodes/{ep_id}/crops/{track_id}/{file}"), ("get", "/episodes"),
        ("get", "/episodes/{ep_id}/review"),
        ("get", "/episodes/{ep_id}/thumbs/{identity_id}/{file}"),
        ("get", "/episodes/{ep_id}/video"),
        ("post", "/episodes/{ep_id}/identities/{identity_id}/label"),
        ("post", "/episodes/{ep_id}/identities/{identity_id}/lock"),
        ("post", "/episodes/{ep_id}/identities/{identity_id}/unlock"),
        ("post", "/episodes/{ep_id}/identities/{identity_id}/suggestion/accept"),
        ("post", "/episodes/{ep_id}/identities/{identity_id}/suggestion/reject"),
        ("post", "/episodes/{ep_id}/identities/merge"),
        ("post", "/episodes/{ep_id}/tracks/{track_id}/move"),
        ("post", "/episodes/{ep_id}/tracks/{track_id}/split"), ("get", "/app/"),
        ("get", "/app/episodes/{ep_id}"), ("get", "/app/static/{file}"),
        ("get", "/app/shows/{show_id}"), ("get", "/shows/{show_id}/season"),
        ("get", "/shows/{show_id}/season.csv"), ("get", "/episodes/{ep_id}/suggestions"),
        ("post", "/episodes/{ep_id}/suggestions/reject"),
      ]
      + JobKind.allCases.map { ("post", "/jobs/\($0.rawValue)") }
    for (method, path) in routes {
      let operation = try #require(paths[path]?[method] as? [String: Any], "\(method) \(path)")
      #expect(operation["responses"] is [String: Any], "\(method) \(path) lists its responses")
    }
    #expect(paths.count == Set(routes.map(\.1)).count, "no undocumented or stale paths")
  }
}

@Suite("Event and status JSON")
struct CompactJSONTests {
  @Test("the direct JSON writer escapes strings and round-trips through a JSON parser")
  func roundTrip() throws {
    let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} Zoë 李 🎬 /slash"
    let value = JSONValue.object([
      "s": .string(tricky), "i": .integer(-42), "d": .number(0.125), "b": .bool(true),
      "n": .null, "a": .array([.integer(1), .string("x")]),
      "o": .object(["z": .integer(1), "a": .integer(2)]),
    ])
    let text = value.compactJSON()
    #expect(text.hasPrefix("{\"a\":[1,\"x\"],\"b\":true,\"d\":0.125"), "keys sorted: \(text)")
    let parsed = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(parsed["s"] as? String == tricky)
    #expect(parsed["i"] as? Int == -42 && parsed["d"] as? Double == 0.125)
    #expect(try JSONValue.parse(Array(text.utf8)) == value)
  }
}
