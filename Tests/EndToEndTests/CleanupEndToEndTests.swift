import Foundation
import Testing

/// `--cleanup` on the sample episode with a planted tracker identity switch.
@Suite("episode-run --cleanup, end to end", .serialized)
struct CleanupEndToEndTests {
  static let episode = "sample-s01e01"

  static func rows(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  static func write(_ rows: [[String: Any]], to url: URL) throws {
    let lines = try rows.map {
      String(
        decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]),
        as: UTF8.self)
    }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
  }

  @Test("split_tracks undoes a planted identity switch, then reembed and recluster; report written")
  func plantedSwitch() throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let manifests = root.appendingPathComponent("manifests/\(Self.episode)")
    let truth = try EpisodeRunProcess.trackIdentities()
    var tracks = try Self.rows(manifests.appendingPathComponent("tracks.jsonl"))
    let first = try #require(tracks.first)
    let a = try #require(first["track_id"] as? String)
    let aSpan = try #require(first["frame_span"] as? [Int])
    // B: a later track of another person, in a later shot.
    let second = try #require(
      tracks.first {
        let span = $0["frame_span"] as? [Int] ?? [0, 0]
        return span[0] > aSpan[1] && truth[$0["track_id"] as? String ?? ""] != truth[a]
      })
    let b = try #require(second["track_id"] as? String)
    let bSpan = try #require(second["frame_span"] as? [Int])
    // The tracker "switched": B's detections carry A's id; one track row spans both.
    var detections = try Self.rows(manifests.appendingPathComponent("detections.jsonl"))
    for index in detections.indices where detections[index]["track_id"] as? String == b {
      detections[index]["track_id"] = a
    }
    try Self.write(detections, to: manifests.appendingPathComponent("detections.jsonl"))
    let merged = detections.filter { $0["track_id"] as? String == a }
    tracks.removeAll { $0["track_id"] as? String == b }
    tracks[0]["frame_span"] = [aSpan[0], bSpan[1]]
    tracks[0]["end_s"] = second["end_s"]
    tracks[0]["stats"] = ["detections": merged.count, "avg_conf": 0.95]
    try Self.write(tracks, to: manifests.appendingPathComponent("tracks.jsonl"))

    let harvest = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--data-root", root.path, "--faces-embed", "--sample-interval",
      "10", "--save-crops", "--cluster",
    ])
    try #require(harvest.status == 0, "\(harvest.combined)")
    let cleanup = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--data-root", root.path, "--cleanup", "--sample-interval", "10",
    ])
    #expect(cleanup.status == 0, "\(cleanup.combined)")

    let report = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("cleanup_report.json")))
        as? [String: Any])
    #expect(report["actions_run"] as? [String] == ["split_tracks", "reembed", "recluster"])
    let split = try #require(report["split_tracks_summary"] as? [String: Int])
    #expect(split["tracks_split"] == 1 && split["new_tracks_created"] == 2)
    let reembed = try #require(report["reembed_summary"] as? [String: Double])
    #expect(reembed["mean_quality_after"]! >= reembed["mean_quality_before"]!)
    #expect(report["recluster_summary"] != nil)
    let before = try #require(report["before"] as? [String: Any])
    let after = try #require(report["after"] as? [String: Any])
    #expect(after["num_tracks"] as? Int == (before["num_tracks"] as? Int ?? 0) + 1)

    // The switch is undone: A is gone, two new tracks cover A's and B's spans exactly.
    let newTracks = try Self.rows(manifests.appendingPathComponent("tracks.jsonl"))
    #expect(!newTracks.contains { $0["track_id"] as? String == a })
    let spans = Set(newTracks.compactMap { $0["frame_span"] as? [Int] })
    #expect(spans.contains(aSpan) && spans.contains(bSpan), "\(spans)")
    // ...and the two halves are different identities.
    let identities = try #require(
      (try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("identities.json")))
        as? [String: Any])?["identities"] as? [[String: Any]])
    let originalIDs = Set(tracks.compactMap { $0["track_id"] as? String })
    let halves = newTracks.compactMap { $0["track_id"] as? String }.filter {
      !originalIDs.contains($0)
    }
    try #require(halves.count == 2)
    let owners = halves.map { half in
      identities.first { ($0["track_ids"] as? [String] ?? []).contains(half) }?["identity_id"]
        as? String
    }
    #expect(owners[0] != nil && owners[0] != owners[1])
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }
}
