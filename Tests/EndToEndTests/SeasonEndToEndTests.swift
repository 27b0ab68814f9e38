import Foundation
import Testing

/// `episode-run season report` and `validate --show` on a show of three episodes, end to end
/// with the built binary (docs/screentime.md, "Season report").
@Suite("episode-run season report: a show of three episodes", .serialized)
struct SeasonEndToEndTests {
  /// Episode id → the sample whose video and oracle tracks it uses (the third is the first
  /// again under another id: a rerun episode with the same cast).
  static let episodes = [
    ("sample-s01e01", "sample-s01e01"), ("sample-s01e02", "sample-s01e02"),
    ("sample-s01e03", "sample-s01e01"),
  ]

  /// A data root with the three episodes harvested and clustered, every identity labelled with
  /// its ground-truth person except the longest-seen one of sample-s01e02 (left unnamed).
  static func show() throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-season-\(UUID().uuidString)")
    let manager = FileManager.default
    for (episode, source) in episodes {
      let sample = try EpisodeRunProcess.freshSample(episode: source)
      defer { try? manager.removeItem(at: sample) }
      for folder in ["videos", "manifests"] {
        let target = root.appendingPathComponent("\(folder)/\(episode)")
        try manager.createDirectory(
          at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manager.copyItem(at: sample.appendingPathComponent("\(folder)/\(source)"), to: target)
      }
      for file in ["detections.jsonl", "tracks.jsonl"] {
        let url = root.appendingPathComponent("manifests/\(episode)/\(file)")
        try String(contentsOf: url, encoding: .utf8)
          .replacingOccurrences(of: "\"\(source)\"", with: "\"\(episode)\"")
          .write(to: url, atomically: true, encoding: .utf8)
      }
      try run(["--ep-id", episode, "--faces-embed", "--cluster"], root: root)
      let truth = try EpisodeRunProcess.trackIdentities(episode: source)
      for (index, identity) in try identities(episode, root: root).enumerated() {
        if episode == "sample-s01e02" && index == 0 { continue }
        let tracks = identity["track_ids"] as? [String] ?? []
        let people = Dictionary(grouping: tracks) { truth[$0] ?? "?" }
        let person = people.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
        try run(
          [
            "identities", "label", identity["identity_id"] as! String, "--ep-id", episode,
            "--name", person.capitalized, "--person-id", person,
          ], root: root)
      }
    }
    return root
  }

  @discardableResult
  static func run(_ arguments: [String], root: URL, status: Int32 = 0) throws
    -> EpisodeRunProcess.Outcome
  {
    let outcome = try EpisodeRunProcess.run(arguments + ["--data-root", root.path])
    try #require(outcome.status == status, "\(arguments): \(outcome.combined)")
    return outcome
  }

  static func identities(_ episode: String, root: URL) throws -> [[String: Any]] {
    let url = root.appendingPathComponent("manifests/\(episode)/identities.json")
    let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    return document?["identities"] as? [[String: Any]] ?? []
  }

  /// (person id or "unnamed", episode) → the sum of the episode's screentime.json seconds of
  /// its identities with that person id (unlabelled ones under "unnamed").
  static func expected(root: URL) throws -> [String: Double] {
    var sums: [String: Double] = [:]
    for (episode, _) in episodes {
      let url = root.appendingPathComponent("analytics/\(episode)/screentime.json")
      let report = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
      for entry in report?["identities"] as? [[String: Any]] ?? [] {
        let person = entry["person_id"] as? String ?? "unnamed"
        sums["\(person) \(episode)", default: 0] += entry["seconds"] as? Double ?? 0
      }
    }
    return sums
  }

  @Test("per-person seconds are the sums of the episodes' screen time; CSV = JSON; stale is caught")
  func seasonReport() throws {
    let root = try Self.show()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try Self.run(
      ["season", "report", "--show", "sample", "--format", "json"], root: root)
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
    let rows = try #require(report["rows"] as? [[String: Any]])
    let expected = try Self.expected(root: root)
    var seen: [String: Double] = [:]
    for row in rows where row["kind"] as? String != "unidentified" {
      let person = (row["person_id"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "unnamed"
      seen["\(person) \(row["ep_id"] as! String)"] = row["seconds"] as? Double
    }
    for (key, seconds) in expected {
      #expect(abs((seen[key] ?? -1) - seconds) < 1e-6, "\(key): \(seen[key] ?? -1) vs \(seconds)")
    }
    // A person absent from an episode has a row of 0 there; nobody else has seconds.
    #expect(seen.filter { expected[$0.key] == nil }.allSatisfy { $0.value == 0 })
    #expect(Set(rows.map { $0["ep_id"] as! String }) == Set(Self.episodes.map(\.0)))
    #expect((seen["unnamed sample-s01e02"] ?? 0) > 0)

    // The published pair: the CSV holds the JSON's rows, in order; printed = written.
    let folder = root.appendingPathComponent("analytics/shows/sample")
    let written = try Data(contentsOf: folder.appendingPathComponent("screentime.json"))
    #expect(
      try JSONSerialization.jsonObject(with: written) as? NSDictionary == report as NSDictionary)
    let csv = try String(
      contentsOf: folder.appendingPathComponent("screentime.csv"), encoding: .utf8)
    let lines = csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
    #expect(lines.count == rows.count)
    for (line, row) in zip(lines, rows) {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      #expect(
        fields[4] == row["ep_id"] as? String && Double(fields[5]) == row["seconds"] as? Double)
    }
    let table = try Self.run(["season", "report", "--show", "sample"], root: root)
    let count = try Self.identities("sample-s01e02", root: root).count
    #expect(
      table.standardOutput.contains(
        "sample-s01e02: \(count) identities, \(count - 1) labelled, 0 suggested, not reviewed"))
    #expect(
      table.standardOutput.contains(
        "sample-s01e01: 5 identities, 5 labelled, 0 suggested, reviewed"))
    try Self.run(["validate", "--show", "sample"], root: root)

    // An edit in one episode makes the report stale until it is written again.
    let first = try #require(Self.identities("sample-s01e03", root: root).first)
    let person = try #require((first["labels"] as? [String: String])?["person_id"])
    try Self.run(
      [
        "identities", "label", first["identity_id"] as! String, "--ep-id", "sample-s01e03",
        "--name", "Someone", "--person-id", "someone",
      ], root: root)
    let stale = try Self.run(["validate", "--show", "sample"], root: root, status: 1)
    #expect(stale.standardOutput.contains("stale: \(person) in sample-s01e03: "))
    #expect(stale.standardOutput.contains(" s, 0.0 s now"))
    try Self.run(["season", "report", "--show", "sample", "--format", "csv"], root: root)
    try Self.run(["validate", "--show", "sample"], root: root)
    // A torn pair (one file missing) is a violation; a show with no episode writes nothing.
    try FileManager.default.removeItem(at: folder.appendingPathComponent("screentime.csv"))
    let torn = try Self.run(["validate", "--show", "sample"], root: root, status: 1)
    #expect(torn.standardOutput.contains("screentime.csv: missing beside"))
    let none = try Self.run(["season", "report", "--show", "other"], root: root, status: 1)
    #expect(none.standardError.contains("no episode of show other"))
    #expect(
      !FileManager.default.fileExists(
        atPath: root.appendingPathComponent("analytics/shows/other").path))
  }
}
