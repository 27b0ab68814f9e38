import Foundation
import Testing

@Suite("episode-run validate, end to end", .serialized)
struct ValidateEndToEndTests {
  static let episode = "sample-s01e01"

  @Test("the sample episode's artifacts validate clean")
  func sampleIsClean() throws {
    let root = try EpisodeRunProcess.copyOfSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", root.path,
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("0 violation"))
    #expect(outcome.standardOutput.contains("tracks.jsonl"))
    #expect(outcome.standardOutput.contains("detections.jsonl"))
  }

  @Test("--json prints a machine-readable clean report")
  func jsonReport() throws {
    let root = try EpisodeRunProcess.copyOfSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", root.path, "--json",
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
    let violations = try #require(object["violations"] as? [Any])
    #expect(violations.isEmpty)
  }

  @Test("a damaged detections line is reported with file, line and field, exit 1")
  func damagedDetections() throws {
    let root = try EpisodeRunProcess.copyOfSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let detections = root.appendingPathComponent("manifests/\(Self.episode)/detections.jsonl")
    var lines = try String(contentsOf: detections, encoding: .utf8).split(separator: "\n").map(
      String.init)
    try #require(lines.count > 5)
    // Line 3: a box coordinate outside [0, 1]; line 5: not JSON at all.
    var row = try #require(
      try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
    row["bbox"] = [0.1, 0.2, 1.5, 0.4]
    lines[2] = String(decoding: try JSONSerialization.data(withJSONObject: row), as: UTF8.self)
    lines[4] = "{\"frame_idx\": "
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: detections)

    let outcome = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", root.path,
    ])
    #expect(outcome.status == 1, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("detections.jsonl:3"))
    #expect(outcome.standardOutput.contains("bbox"))
    #expect(outcome.standardOutput.contains("detections.jsonl:5"))
  }

  @Test("an identities.json written to the spec's schema (no unidentified_tracks) is clean")
  func specSchemaIdentities() throws {
    // sample-s01e02 has bait tracks (a lamp, a painting) that end in no identity.
    let episode = "sample-s01e02"
    let root = try EpisodeRunProcess.copyOfSample(episode: episode)
    defer { try? FileManager.default.removeItem(at: root) }
    let run = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--faces-embed", "--cluster",
    ])
    try #require(run.status == 0, "\(run.combined)")
    // As another implementation of the spec writes it: no metadata.unidentified_tracks, the
    // tracks with no accepted face in no identity.
    let url = root.appendingPathComponent("manifests/\(episode)/identities.json")
    var document = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    var metadata = try #require(document["metadata"] as? [String: Any])
    let unlisted = try #require(metadata.removeValue(forKey: "unidentified_tracks") as? [Any])
    try #require(!unlisted.isEmpty)
    document["metadata"] = metadata
    try JSONSerialization.data(withJSONObject: document).write(to: url)
    let tracks = try String(
      contentsOf: root.appendingPathComponent("manifests/\(episode)/tracks.jsonl"), encoding: .utf8
    ).split(separator: "\n").count
    let outcome = try EpisodeRunProcess.run([
      "validate", "--ep-id", episode, "--data-root", root.path,
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("0 violation"))
    #expect(
      outcome.standardOutput.contains("no metadata.unidentified_tracks (the spec's schema): "),
      "\(outcome.standardOutput)")
    #expect(
      outcome.standardOutput.contains("\(unlisted.count) of \(tracks) track(s) are in no identity"),
      "\(outcome.standardOutput)")
  }

  @Test("an episode with no artifacts at all is not reported clean")
  func nothingToValidate() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    let outcome = try EpisodeRunProcess.run([
      "validate", "--ep-id", "no-such-episode", "--data-root", root.path,
    ])
    #expect(outcome.status == 1)
    #expect(outcome.standardError.contains("no artifacts of no-such-episode"))
  }

  @Test(
    "an unsafe episode id is refused before any file is touched",
    arguments: ["../x", "a/b", "..", "Sample", "-x", ""])
  func unsafeEpisodeID(id: String) throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    let outcome = try EpisodeRunProcess.run(["validate", "--ep-id", id, "--data-root", root.path])
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("ep_id") || outcome.standardError.contains("episode"))
    #expect(!FileManager.default.fileExists(atPath: root.path))
  }
}
