import Artifacts
import Foundation
import Testing

@testable import Identities

@Suite("People registry and suggestions")
struct PeopleTests {
  /// A unit vector at `degrees` in the plane of the first two axes.
  static func vector(_ degrees: Double) -> [Float] {
    let radians = degrees * .pi / 180
    return [Float(cos(radians)), Float(sin(radians)), 0]
  }

  static let model = EmbedderIdentity(name: "sface", width: 3)
  static let matcher = PeopleMatcher(threshold: 0.6, margin: 0.05)

  static func person(_ id: String, at degrees: Double, model: String = "sface")
    -> RegisteredPerson
  {
    RegisteredPerson(
      personID: id, name: id.uppercased(), model: model, embeddingWidth: 3,
      samples: [PersonSample(epID: "show-s01e01", trackID: "track-1", vector: vector(degrees))],
      updatedAt: "2026-01-01T00:00:00Z")
  }

  static func identity(
    _ id: String, tracks: [String], labels: [String: String] = [:], locked: Bool = false
  ) -> Identity {
    Identity(
      identityID: id, clusterID: nil, trackIDs: tracks,
      canonicalFacePath: DataLayout.identityThumbRelativePath(identityID: id),
      embeddingStats: EmbeddingStats(centroidNorm: 1, variance: 0, numTracks: 1, numFacesTotal: 1),
      labels: labels, locked: locked, createdAt: "t", updatedAt: "t")
  }

  @Test("a clear match is suggested; near ties, locks, human labels, rejections are respected")
  func suggestions() {
    let people = [
      Self.person("a", at: 0), Self.person("b", at: 90), Self.person("c", at: 180),
      Self.person("d", at: 270, model: "arcface"),
    ]
    // t1 at 5° (A 0.996); t2 at 45° (A = B: no margin); t3 at 88° but locked; t4 labelled "c" by
    // a person; t5 at 178° (C, which t4 has); t6 at 272° (only D, another model); t7 at 91°
    // with B rejected.
    let vectors: [String: [Float]] = [
      "t1": Self.vector(5), "t2": Self.vector(45), "t3": Self.vector(88),
      "t4": Self.vector(200), "t5": Self.vector(178), "t6": Self.vector(272),
      "t7": Self.vector(91),
    ]
    let identities = [
      Self.identity("i1", tracks: ["t1"]), Self.identity("i2", tracks: ["t2"]),
      Self.identity("i3", tracks: ["t3"], locked: true),
      Self.identity("i4", tracks: ["t4"], labels: ["name": "Cee", "person_id": "c"]),
      Self.identity("i5", tracks: ["t5"]), Self.identity("i6", tracks: ["t6"]),
      Self.identity("i7", tracks: ["t7"], labels: [PeopleMatcher.Key.rejected: "b"]),
    ]
    let result = Self.matcher.suggest(
      identities, vectors: vectors, people: people, model: Self.model)
    #expect(
      result[0].labels == [
        "name": "A", "person_id": "a", "source": "people", "similarity": "0.996",
      ])
    #expect(result[1].labels.isEmpty)
    #expect(result[2] == identities[2])
    #expect(result[3] == identities[3])
    #expect(result[4].labels.isEmpty)
    #expect(result[5].labels.isEmpty)
    #expect(result[6].labels == [PeopleMatcher.Key.rejected: "b"])
  }

  @Test("a locked identity's suggestion stays, and its person is not suggested again")
  func lockedSuggestion() {
    let kept = ["name": "A", "person_id": "a", "source": "people", "similarity": "0.7"]
    let identities = [
      Self.identity("i1", tracks: ["t1"], labels: kept, locked: true),
      Self.identity("i2", tracks: ["t2"]),
    ]
    let result = Self.matcher.suggest(
      identities, vectors: ["t1": Self.vector(40), "t2": Self.vector(1)],
      people: [Self.person("a", at: 0)], model: Self.model)
    #expect(result == [identities[0], identities[1]])
  }

  @Test("one person goes to one identity: the more similar; an old suggestion is recomputed")
  func onePersonPerEpisode() {
    let vectors: [String: [Float]] = ["t1": Self.vector(20), "t2": Self.vector(3)]
    let stale = ["name": "B", "person_id": "b", "source": "people", "similarity": "0.9"]
    let identities = [
      Self.identity("i1", tracks: ["t1"], labels: stale), Self.identity("i2", tracks: ["t2"]),
    ]
    let result = Self.matcher.suggest(
      identities, vectors: vectors, people: [Self.person("a", at: 0)], model: Self.model)
    #expect(result[0].labels.isEmpty)
    #expect(result[1].labels["person_id"] == "a")
  }

  /// A data root with one episode whose identities are labelled as given.
  static func episode(
    _ layout: DataLayout, _ id: String, identities: [(tracks: [String], person: String?)],
    vectors: [String: [Float]]
  ) throws -> EpisodeID {
    let episode = try EpisodeID(id)
    let trackIDs = vectors.keys.sorted()
    try FileManager.default.createDirectory(
      at: layout.embedsDir(episode), withIntermediateDirectories: true)
    try NPYMatrix(rowVectors: trackIDs.map { vectors[$0]! }, columns: 3)
      .write(to: layout.trackEmbeddingsNPY(episode))
    let index = try JSONLWriter<TrackEmbeddingRow>(
      destination: layout.trackEmbeddingsIndex(episode))
    try index.write(
      contentsOf: trackIDs.map {
        TrackEmbeddingRow(trackID: $0, numFaces: 3, facesUsed: 3, spread: 0, probe: nil)
      })
    try index.commit()
    let document = IdentitiesDocument(
      identities: identities.enumerated().map { position, entry in
        identity(
          ArtifactID.identity(position + 1), tracks: entry.tracks,
          labels: entry.person.map { ["name": $0.uppercased(), "person_id": $0] } ?? [:])
      },
      metadata: IdentitiesMetadata(
        epID: id, numTracks: trackIDs.count, numClusters: 0, numSingletons: 0,
        singletonFraction: 0, largestClusterSize: 1, largestClusterFraction: 0,
        clusterThresh: 0.6, minClusterSize: 2, algorithm: "agglomerative", linkage: "average",
        createdAt: "t"))
    try AtomicFile.writeJSON(document, to: layout.identities(episode))
    return episode
  }

  @Test("add registers human labels per episode; model mismatch, bad files and unknowns fail")
  func registry() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("people-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let layout = DataLayout(root: root)
    let first = try Self.episode(
      layout, "show-s01e01",
      identities: [(["t1", "t2"], "a"), (["t3"], nil), (["t4"], "b")],
      vectors: [
        "t1": Self.vector(0), "t2": Self.vector(2), "t3": Self.vector(50),
        "t4": Self.vector(90),
      ])
    let second = try Self.episode(
      layout, "show-s01e02", identities: [(["t9"], "a")], vectors: ["t9": Self.vector(4)])
    let show = try #require(ShowID.derived(from: first))
    #expect(show.rawValue == "show")
    var registry = PeopleRegistry(layout: layout, show: show)
    registry.samplesPerEpisode = 1
    #expect(try registry.add(fromEpisode: first, model: Self.model) == ["a", "b"])
    try registry.add(fromEpisode: second, model: Self.model)
    try registry.add(fromEpisode: first, model: Self.model)
    let people = try registry.load().people
    #expect(people.map(\.personID) == ["a", "b"])
    #expect(
      people[0].samples.map { "\($0.epID)/\($0.trackID)" } == [
        "show-s01e02/t9", "show-s01e01/t1",
      ])
    #expect(throws: PeopleError.self) {
      try registry.add(fromEpisode: second, model: EmbedderIdentity(name: "arcface", width: 3))
    }
    try registry.remove("b")
    #expect(throws: PeopleError.self) { try registry.remove("b") }
    // One writer at a time: a held registry lock refuses the next writer at once.
    let held = try EpisodeLock.acquire(
      name: "shows/show", layout: layout, purpose: "a test holding the registry"
    ) { PeopleError.locked(holder: $0, lockFile: $1) }
    let busy = try #require(throws: PeopleError.self) { try registry.remove("a") }
    #expect("\(busy)".contains("a test holding the registry"))
    held.release()
    #expect(try registry.load().people.map(\.personID) == ["a"])

    let text = try String(contentsOf: layout.people(show), encoding: .utf8)
    try text.replacingOccurrences(of: "\"embedding_width\" : 3", with: "\"embedding_width\" : 4")
      .write(to: layout.people(show), atomically: true, encoding: .utf8)
    let error = try #require(throws: PeopleError.self) { try registry.load() }
    #expect("\(error)".contains("shows/show/people.json: people[0].samples[0].vector"))
  }

  @Test("show ids come from ep_ids named {show}-sNNeNN, or not at all")
  func showIDs() throws {
    #expect(ShowID.derived(from: try EpisodeID("rhobh-s05e02"))?.rawValue == "rhobh")
    #expect(ShowID.derived(from: try EpisodeID("a-s1e2-s01e03-cut"))?.rawValue == "a-s1e2")
    #expect(ShowID.derived(from: try EpisodeID("clip-bikes")) == nil)
    #expect(throws: ArtifactError.self) { try ShowID("../x") }
  }
}
