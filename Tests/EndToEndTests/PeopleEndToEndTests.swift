import Foundation
import Testing

/// The show's people registry across episodes (docs/people.md): labels registered from one
/// episode label the same people in another, never over a person's work.
@Suite("episode-run people: labels across episodes, end to end", .serialized)
struct PeopleEndToEndTests {
  static let first = "sample-s01e01"
  /// The same people in another "episode": the sample under another id, harvested with fewer
  /// crops per track, so its track embeddings differ from the first's.
  static let second = "sample-s01e09"

  struct Run {
    let root: URL

    func run(_ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
      let outcome = try EpisodeRunProcess.run(arguments + ["--data-root", root.path])
      try #require(outcome.status == 0, "\(arguments): \(outcome.combined)")
      return outcome
    }

    func identities(_ episode: String) throws -> [[String: Any]] {
      let url = root.appendingPathComponent("manifests/\(episode)/identities.json")
      let document = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
      return try #require(document["identities"] as? [[String: Any]])
    }

    /// Identity id → (person by ground truth, labels, locked).
    func byID(_ episode: String, truth: [String: String]) throws
      -> [String: (person: String, labels: [String: String], locked: Bool)]
    {
      var result: [String: (String, [String: String], Bool)] = [:]
      for identity in try identities(episode) {
        let tracks = try #require(identity["track_ids"] as? [String])
        let people = Dictionary(grouping: tracks) { truth[$0]! }
        let person = people.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
        result[try #require(identity["identity_id"] as? String)] = (
          person, identity["labels"] as? [String: String] ?? [:],
          identity["locked"] as? Bool ?? false
        )
      }
      return result
    }
  }

  /// Both episodes in one data root: the first harvested, clustered and labelled by ground
  /// truth, then registered; the second harvested and clustered with the registry in place.
  static func prepared() throws -> (Run, [String: String]) {
    let root = try EpisodeRunProcess.freshSample(episode: first)
    let manager = FileManager.default
    try manager.copyItem(
      at: root.appendingPathComponent("videos/\(first)"),
      to: root.appendingPathComponent("videos/\(second)"))
    let manifests = root.appendingPathComponent("manifests/\(second)")
    try manager.createDirectory(at: manifests, withIntermediateDirectories: true)
    for file in ["detections.jsonl", "tracks.jsonl"] {
      let text = try String(
        contentsOf: root.appendingPathComponent("manifests/\(first)/\(file)"), encoding: .utf8)
      try text.replacingOccurrences(of: "\"\(first)\"", with: "\"\(second)\"")
        .write(to: manifests.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }
    let run = Run(root: root)
    let truth = try EpisodeRunProcess.trackIdentities()
    _ = try run.run(["--ep-id", first, "--faces-embed", "--cluster"])
    for (id, entry) in try run.byID(first, truth: truth) {
      _ = try run.run([
        "identities", "label", id, "--name", entry.person.capitalized, "--person-id",
        entry.person, "--ep-id", first,
      ])
    }
    _ = try run.run(["people", "add", "--from-episode", first])
    _ = try run.run(["--ep-id", second, "--faces-embed", "--max-crops-per-track", "2", "--cluster"])
    return (run, truth)
  }

  @Test("registered people label the same people in another episode, as suggestions")
  func crossEpisode() throws {
    let (run, truth) = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: run.root) }
    let listing = try run.run(["people", "list", "--show", "sample"]).standardOutput
    #expect(listing.split(separator: "\n").count == 5, "\(listing)")
    let identities = try run.byID(Self.second, truth: truth)
    try #require(identities.count == 5)
    for (id, entry) in identities {
      #expect(entry.labels["person_id"] == entry.person, "\(id): \(entry.labels)")
      #expect(entry.labels["name"] == entry.person.capitalized)
      #expect(entry.labels["source"] == "people")
    }
    let validated = try run.run(["validate", "--ep-id", Self.second]).standardOutput
    #expect(validated.contains("shows/sample/people.json: 5"), "\(validated)")
    // A damaged registry fails validate, naming the file and the field.
    let registry = run.root.appendingPathComponent("shows/sample/people.json")
    let intact = try Data(contentsOf: registry)
    let text = String(decoding: intact, as: UTF8.self)
    let broken = text.replacingOccurrences(
      of: "\"embedding_width\" : 128", with: "\"embedding_width\" : 127")
    try #require(broken != text, "the registry's layout changed: \(text.prefix(300))")
    try Data(broken.utf8).write(to: registry)
    let damaged = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.second, "--data-root", run.root.path,
    ])
    #expect(damaged.status == 1, "\(damaged.combined)")
    #expect(damaged.standardOutput.contains("shows/sample/people.json"), "\(damaged.combined)")
    try intact.write(to: registry)

    // show_id names the show explicitly: another show has no people, so no suggestion stays.
    _ = try run.run(["--ep-id", Self.second, "--cluster", "--show-id", "other"])
    #expect(try run.byID(Self.second, truth: truth).values.allSatisfy { $0.labels.isEmpty })
    let refused = try EpisodeRunProcess.run([
      "--ep-id", Self.second, "--cluster", "--show-id", "../x", "--data-root", run.root.path,
    ])
    #expect(refused.status != 0 && refused.combined.contains("invalid show id '../x'"))
  }

  @Test(
    "accept, reject, human labels and locks hold across re-clustering; other models are ignored")
  func humanWorkWins() throws {
    let (run, truth) = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: run.root) }
    let ids = try run.byID(Self.second, truth: truth).keys.sorted()
    let (accepted, rejected, relabelled, locked) = (ids[0], ids[1], ids[2], ids[3])
    let edit = { (arguments: [String]) in
      _ = try run.run(["identities"] + arguments + ["--ep-id", Self.second])
    }
    try edit(["accept-suggestion", accepted])
    try edit(["reject-suggestion", rejected])
    try edit(["label", relabelled, "--name", "Someone Else"])
    try edit(["lock", locked])
    let before = try run.byID(Self.second, truth: truth)
    #expect(before[accepted]!.labels["source"] == nil)
    #expect(before[accepted]!.labels["person_id"] == before[accepted]!.person)
    #expect(before[rejected]!.labels == ["rejected_person_ids": before[rejected]!.person])
    #expect(before[relabelled]!.labels["source"] == nil)
    #expect(before[relabelled]!.labels["name"] == "Someone Else")

    _ = try run.run(["--ep-id", Self.second, "--cluster"])
    let after = try run.byID(Self.second, truth: truth)
    for id in [accepted, rejected, relabelled, locked] {
      #expect(after[id]!.labels == before[id]!.labels, "\(id)")
    }
    #expect(after[ids[4]]!.labels["source"] == "people")

    // The registry's vectors under another model's name: no suggestion survives a re-cluster.
    let registry = run.root.appendingPathComponent("shows/sample/people.json")
    let text = try String(contentsOf: registry, encoding: .utf8)
    try text.replacingOccurrences(of: "\"model\" : \"", with: "\"model\" : \"other-")
      .write(to: registry, atomically: true, encoding: .utf8)
    _ = try run.run(["--ep-id", Self.second, "--cluster"])
    let otherModel = try run.byID(Self.second, truth: truth)
    #expect(otherModel[ids[4]]!.labels.isEmpty)
    #expect(otherModel[accepted]!.labels == before[accepted]!.labels)

    // Re-clustering re-joins a human-labelled track with two split off and given a suggestion
    // (more faces): the human label wins the carry-over.
    let tracks = try #require(
      try run.identities(Self.second).first { $0["identity_id"] as? String == accepted }?[
        "track_ids"] as? [String])
    try #require(tracks.count == 3)
    let split = try [tracks[1], tracks[2]].map { track in
      try run.run(["identities", "split", track, "--ep-id", Self.second]).standardOutput
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    try edit(["merge", split[0], split[1]])
    let url = run.root.appendingPathComponent("manifests/\(Self.second)/identities.json")
    var document = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    var identities = try #require(document["identities"] as? [[String: Any]])
    let index = try #require(identities.firstIndex { $0["identity_id"] as? String == split[0] })
    identities[index]["labels"] = [
      "name": "Bob", "person_id": "bob", "source": "people", "similarity": "0.9",
    ]
    document["identities"] = identities
    try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]).write(to: url)
    _ = try run.run(["--ep-id", Self.second, "--cluster"])
    let rejoined = try #require(
      try run.identities(Self.second).first { ($0["track_ids"] as? [String]) == tracks })
    #expect(rejoined["labels"] as? [String: String] == before[accepted]!.labels)
  }
}
