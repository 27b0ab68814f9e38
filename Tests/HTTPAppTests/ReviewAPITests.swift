import Artifacts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HTTPApp

/// The sample harvested with crops and clustered once, through the job API; each test works on
/// its own copy.
enum ClusteredSample {
  static let prepared = Task<URL, any Error> {
    let fixture = try ServerFixture()
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      for (kind, options) in [
        ("faces_embed", ["save_crops": true, "sample_interval": 12] as [String: Any]),
        ("cluster", [:]),
      ] {
        let events = try await client.execute(
          uri: "/jobs/\(kind)", method: .post, headers: [.accept: "text/event-stream"],
          body: try body(options.merging(["ep_id": ServerFixture.episode]) { a, _ in a })
        ) { try parseEvents(String(buffer: $0.body)) }
        try #require(events.last?.name == "done", "\(kind): \(events.last?.data ?? [:])")
      }
    }
    return fixture.root
  }

  /// A fresh copy of the clustered sample.
  static func copy() async throws -> ServerFixture {
    let source = try await prepared.value
    let fixture = try ServerFixture(withTracks: false)
    try FileManager.default.removeItem(at: fixture.root)
    try FileManager.default.copyItem(at: source, to: fixture.root)
    return fixture
  }
}

extension ServerFixture {
  /// `identities.json` as written.
  func identities() throws -> IdentitiesDocument {
    try JSONDecoder().decode(
      IdentitiesDocument.self,
      from: Data(contentsOf: manifests.appendingPathComponent("identities.json")))
  }
}

/// POSTs `json` (nil: no body) to `uri` and hands back status and parsed body.
func post(
  _ client: some TestClientProtocol, _ uri: String, _ json: [String: Any]? = nil,
  token: String? = nil
) async throws -> (HTTPResponse.Status, [String: Any]) {
  var headers: HTTPFields = [:]
  if let token { headers[.authorization] = "Bearer \(token)" }
  return try await client.execute(
    uri: uri, method: .post, headers: headers, body: try json.map { try body($0) }
  ) { response in
    (response.status, (try? object(response.body)) ?? [:])
  }
}

@Suite("Review API: identity edits, episode list, review model, app files", .serialized)
struct ReviewAPITests {
  let episodePath = "/episodes/\(ServerFixture.episode)"

  @Test("label, lock, unlock, split, merge and move over HTTP write identities.json")
  func edits() async throws {
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    let before = try fixture.identities()
    let source = try #require(before.identities.first { $0.trackIDs.count >= 2 })
    let (first, second) = (source.trackIDs[0], source.trackIDs[1])
    let id = source.identityID
    try await app.test(.router) { client in
      var (status, reply) = try await post(
        client, "\(episodePath)/identities/\(id)/label", ["name": "Zoë", "person_id": "p-7"])
      #expect(status == .ok && reply["identity_id"] as? String == id)
      #expect(reply["labels"] as? [String: String] == ["name": "Zoë", "person_id": "p-7"])
      (status, reply) = try await post(client, "\(episodePath)/tracks/\(first)/split")
      let split = try #require(reply["identity_id"] as? String)
      #expect(status == .ok && reply["track_ids"] as? [String] == [first])
      (status, reply) = try await post(
        client, "\(episodePath)/identities/merge", ["kept": id, "absorbed": split])
      #expect(status == .ok && reply["track_ids"] as? [String] == source.trackIDs)
      (status, reply) = try await post(client, "\(episodePath)/tracks/\(first)/split")
      let target = try #require(reply["identity_id"] as? String)
      (status, reply) = try await post(
        client, "\(episodePath)/tracks/\(second)/move", ["to": target])
      #expect(status == .ok && reply["track_ids"] as? [String] == [first, second])
      (status, reply) = try await post(client, "\(episodePath)/identities/\(target)/lock")
      #expect(status == .ok && reply["locked"] as? Bool == true)
      (status, reply) = try await post(client, "\(episodePath)/tracks/\(first)/split")
      #expect(status == .conflict && reply["error"] as? String == "locked", "\(reply)")
      #expect((reply["detail"] as? String)?.contains("\(target) is locked") == true)
      (status, reply) = try await post(
        client, "\(episodePath)/identities/\(target)/label", ["name": "Renamed"])
      #expect(status == .conflict && reply["error"] as? String == "locked", "\(reply)")
      (status, reply) = try await post(client, "\(episodePath)/identities/\(target)/unlock")
      #expect(status == .ok && reply["locked"] as? Bool == false)
    }
    let after = try fixture.identities()
    #expect(after.identities.first { $0.identityID == id }?.labels["name"] == "Zoë")
    #expect(after.identities.first { $0.identityID == id }?.trackIDs.contains(second) == false)
    #expect(after.identities.first { $0.trackIDs.contains(second) }?.trackIDs == [first, second])
  }

  @Test("a suggested label is accepted or rejected over HTTP; no suggestion is a 409")
  func suggestions() async throws {
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    var document = try fixture.identities()
    try #require(document.identities.count >= 3)
    let suggestion = ["name": "Ann", "person_id": "ann", "source": "people", "similarity": "0.8"]
    for index in 0..<2 { document.identities[index].labels = suggestion }
    try AtomicFile.writeJSON(
      document, to: fixture.manifests.appendingPathComponent("identities.json"))
    let ids = document.identities.map(\.identityID)
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      var (status, reply) = try await post(
        client, "\(episodePath)/identities/\(ids[0])/suggestion/accept")
      #expect(
        status == .ok
          && reply["labels"] as? [String: String] == [
            "name": "Ann", "person_id": "ann",
          ])
      (status, reply) = try await post(
        client, "\(episodePath)/identities/\(ids[1])/suggestion/reject")
      #expect(
        status == .ok
          && reply["labels"] as? [String: String] == [
            "rejected_person_ids": "ann"
          ])
      (status, reply) = try await post(
        client, "\(episodePath)/identities/\(ids[2])/suggestion/accept")
      #expect(status == .conflict, "\(reply)")
      #expect((reply["detail"] as? String)?.contains("has no suggested label") == true)
    }
  }

  @Test("edit errors: 404 unknown identity or track, 400 naming the field, 409 busy episode")
  func editErrors() async throws {
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    let id = try #require(try fixture.identities().identities.first).identityID
    let before = try Data(contentsOf: fixture.manifests.appendingPathComponent("identities.json"))
    try await app.test(.router) { client in
      for (uri, object, status, mention) in [
        ("identities/identity-09999/lock", nil, HTTPResponse.Status.notFound, "identity-09999"),
        ("tracks/track-09999/split", nil, .notFound, "track-09999"),
        ("tracks/track-09999/move", ["to": id], .notFound, "track-09999"),
        ("identities/\(id)/label", ["title": "x"], .badRequest, "name"),
        ("identities/\(id)/label", ["name": 3], .badRequest, "name"),
        ("identities/merge", ["kept": id], .badRequest, "absorbed"),
        ("identities/merge", ["kept": id, "absorbed": "x/../y"], .badRequest, "absorbed"),
        ("identities/merge", ["kept": id, "absorbed": id], .conflict, "itself"),
        ("tracks/track-00001/move", [:], .badRequest, "to"),
        ("identities/..%2Fx/lock", nil, .badRequest, "identity_id"),
      ] as [(String, [String: Any]?, HTTPResponse.Status, String)] {
        let (answer, reply) = try await post(client, "\(episodePath)/\(uri)", object)
        #expect(answer == status, "\(uri) \(reply)")
        #expect((reply["detail"] as? String)?.contains(mention) == true, "\(uri) \(reply)")
      }
      try await client.execute(
        uri: "\(episodePath)/identities/merge", method: .post,
        body: ByteBuffer(string: "{not json")
      ) { #expect($0.status == .badRequest) }
      let lock = try EpisodeLock.acquire(
        layout: fixture.layout, episode: try EpisodeID(ServerFixture.episode), purpose: "a test")
      let (busy, reply) = try await post(
        client, "\(episodePath)/identities/\(id)/label", ["name": "x"])
      lock.release()
      #expect(busy == .conflict && reply["error"] as? String == "episode busy", "\(reply)")
    }
    let after = try Data(contentsOf: fixture.manifests.appendingPathComponent("identities.json"))
    #expect(after == before, "no refused edit wrote anything")
  }

  @Test("with a token, mutating routes answer 401 without it; reading routes stay open")
  func bearerToken() async throws {
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    let token = "s3cret-token"
    let (app, _) = try fixture.application(apiToken: token)
    let id = try #require(try fixture.identities().identities.first).identityID
    try await app.test(.router) { client in
      let mutating = [
        "/jobs/pipeline", "/jobs/cluster", "/jobs/job-000001/cancel",
        "\(episodePath)/identities/\(id)/label", "\(episodePath)/identities/\(id)/lock",
        "\(episodePath)/identities/\(id)/unlock", "\(episodePath)/identities/merge",
        "\(episodePath)/tracks/track-00001/move", "\(episodePath)/tracks/track-00001/split",
      ]
      for uri in mutating {
        for wrong in [nil, "wrong", token + "x", ""] {
          let (status, reply) = try await post(client, uri, ["name": "x"], token: wrong)
          #expect(status == .unauthorized && reply["error"] as? String == "unauthorized", "\(uri)")
        }
      }
      let (status, reply) = try await post(
        client, "\(episodePath)/identities/\(id)/label", ["name": "Ann"], token: token)
      #expect(status == .ok && (reply["labels"] as? [String: String])?["name"] == "Ann")
      for uri in [
        "/healthz", "/jobs", "/episodes", "\(episodePath)/review", "\(episodePath)/identities",
        "/app/",
      ] {
        try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
      }
    }
  }

  @Test("the episode list and review model describe the clustered sample")
  func reviewModel() async throws {
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    let document = try fixture.identities()
    try await app.test(.router) { client in
      let list = try await client.execute(uri: "/episodes", method: .get) {
        try #require(try object($0.body)["episodes"] as? [[String: Any]])
      }
      let entry = try #require(list.first { $0["ep_id"] as? String == ServerFixture.episode })
      let artifacts = try #require(entry["artifacts"] as? [String: Bool])
      #expect(artifacts["identities"] == true && artifacts["faces"] == true)
      let counts = try #require(entry["counts"] as? [String: Int])
      #expect(counts["identities"] == document.identities.count && (counts["faces"] ?? 0) > 10)
      let review = try await client.execute(uri: "\(episodePath)/review", method: .get) {
        try object($0.body)
      }
      let identities = try #require(review["identities"] as? [[String: Any]])
      #expect(
        identities.map { $0["identity_id"] as? String } == document.identities.map(\.identityID))
      #expect((review["duration_s"] as? Double ?? 0) > 1)
      let tracks = identities.flatMap { $0["tracks"] as? [[String: Any]] ?? [] }
      let crops = tracks.flatMap { $0["crops"] as? [[String: Any]] ?? [] }
      #expect(!crops.isEmpty && crops.count <= tracks.count * EpisodeReview.cropsPerTrack)
      for crop in crops.prefix(3) {
        let path = try #require(crop["path"] as? String)
        try await client.execute(uri: "\(episodePath)/\(path)", method: .get) {
          #expect($0.status == .ok && $0.headers[.contentType] == "image/jpeg")
        }
      }
      for identity in identities {
        let thumb = try #require(identity["thumb"] as? String)
        try await client.execute(uri: "\(episodePath)/\(thumb)", method: .get) { response in
          #expect(response.status == .ok && response.body.readableBytes > 500, "\(thumb)")
        }
      }
      try await client.execute(uri: "/episodes/no-such-episode/review", method: .get) {
        #expect($0.status == .notFound)
      }
    }
  }

  @Test("a commit a killed writer left is finished by the server's first read of the episode")
  func finishesKilledCommit() async throws {
    struct Killed: Error {}
    let fixture = try await ClusteredSample.copy()
    defer { fixture.remove() }
    let episode = try EpisodeID(ServerFixture.episode)
    var edited = try fixture.identities()
    edited.identities[0].labels = ["name": "after the kill"]
    // A writer killed right after its commit point: the journal is published, nothing renamed.
    let transaction = ArtifactTransaction(
      layout: fixture.layout, episode: episode, purpose: "an identities edit")
    try transaction.stageJSON(edited, at: fixture.layout.identities(episode))
    transaction.beforeStep = { if $0.index == 1 { throw Killed() } }
    #expect(throws: Killed.self) { try transaction.commit() }
    let journal = fixture.manifests.appendingPathComponent(".commit-journal.json")
    try #require(FileManager.default.fileExists(atPath: journal.path))
    #expect(try fixture.identities().identities[0].labels["name"] != "after the kill")

    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      try await client.execute(uri: "\(episodePath)/review", method: .get) {
        #expect($0.status == .ok)
      }
    }
    #expect(!FileManager.default.fileExists(atPath: journal.path))
    #expect(try fixture.identities().identities[0].labels["name"] == "after the kill")
  }

  @Test("thumbnails, crops and app files are served only by their own names")
  func onlyOwnFiles() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      for path in [
        "\(episodePath)/thumbs/..%2F..%2Fsecret/rep.jpg",
        "\(episodePath)/thumbs/identity-00001/..%2F..%2Fmanifests%2Fx.json",
        "\(episodePath)/thumbs/identity-00001/other.jpg",
        "\(episodePath)/crops/track-00001/..%2F..%2F..%2Fsecret.jpg",
        "/episodes/%2e%2e/thumbs/identity-00001/rep.jpg",
      ] {
        try await client.execute(uri: path, method: .get) {
          #expect($0.status == .badRequest, "\(path)")
        }
      }
      try await client.execute(uri: "\(episodePath)/thumbs/identity-00001/rep.jpg", method: .get) {
        #expect($0.status == .notFound)
      }
      for (path, type) in [
        ("/app/", "text/html"), ("/app/episodes/\(ServerFixture.episode)", "text/html"),
        ("/app/static/app.js", "text/javascript"), ("/app/static/review.js", "text/javascript"),
        ("/app/static/app.css", "text/css"),
      ] {
        try await client.execute(uri: path, method: .get) { response in
          #expect(response.status == .ok, "\(path)")
          #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
        }
      }
      for path in ["/app/static/..%2F..%2FPackage.swift", "/app/static/index.html"] {
        try await client.execute(uri: path, method: .get) {
          #expect($0.status == .notFound, "\(path)")
        }
      }
      try await client.execute(uri: "/app/episodes/..%2Fetc", method: .get) {
        #expect($0.status == .badRequest)
      }
    }
  }
}

@Suite("API token and listening address")
struct APITokenTests {
  @Test("the token comes from the file (trimmed), else the environment; empty is an error")
  func resolve() throws {
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("token-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data("  abc123\n".utf8).write(to: file)
    #expect(try APIToken.resolve(file: file.path, environment: [:]) == "abc123")
    #expect(
      try APIToken.resolve(file: file.path, environment: [APIToken.environmentKey: "env"])
        == "abc123")
    #expect(try APIToken.resolve(file: nil, environment: [APIToken.environmentKey: "env"]) == "env")
    #expect(try APIToken.resolve(file: nil, environment: [:]) == nil)
    #expect(throws: APIToken.Failure.self) {
      try APIToken.resolve(file: nil, environment: [APIToken.environmentKey: " \n"])
    }
    #expect(throws: APIToken.Failure.self) {
      try APIToken.resolve(file: file.path + ".missing", environment: [:])
    }
  }

  @Test("the server listens on loopback unless told otherwise")
  func loopbackByDefault() {
    #expect(FaceHarvestServer.defaultHost == "127.0.0.1")
  }

  @Test("the bearer comparison accepts only the exact token")
  func constantTimeEqual() {
    let expected = Array("Bearer abc".utf8)
    #expect(BearerTokenMiddleware.constantTimeEqual(expected, expected))
    for other in ["Bearer abd", "Bearer ab", "Bearer abcd", "", "bearer abc"] {
      #expect(!BearerTokenMiddleware.constantTimeEqual(Array(other.utf8), expected), "\(other)")
    }
  }
}
