import FaceHarvestCore
import Foundation
import Media
import Testing

/// `--cluster` and the `identities` edits on the sample episode, against its ground truth.
@Suite("episode-run --cluster and identities edits, end to end", .serialized)
struct IdentitiesEndToEndTests {
  static let episode = "sample-s01e01"

  struct Prepared {
    let root: URL
    var identitiesURL: URL {
      root.appendingPathComponent("manifests/\(IdentitiesEndToEndTests.episode)/identities.json")
    }

    func run(_ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
      try EpisodeRunProcess.run(arguments + ["--data-root", root.path])
    }

    func cluster(_ extra: [String] = []) throws -> EpisodeRunProcess.Outcome {
      try run(["--ep-id", IdentitiesEndToEndTests.episode, "--cluster"] + extra)
    }

    func edit(_ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
      try run(["identities"] + arguments + ["--ep-id", IdentitiesEndToEndTests.episode])
    }

    /// `screentime.json`'s entries by identity id.
    func screenTime() throws -> [String: [String: Any]] {
      let url = root.appendingPathComponent(
        "analytics/\(IdentitiesEndToEndTests.episode)/screentime.json")
      let document = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
      let entries = try #require(document["identities"] as? [[String: Any]])
      return Dictionary(
        uniqueKeysWithValues: try entries.map {
          (try #require($0["identity_id"] as? String), $0)
        })
    }

    func identities() throws -> [[String: Any]] {
      let document = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: identitiesURL)) as? [String: Any])
      return try #require(document["identities"] as? [[String: Any]])
    }

    /// Pairs of tracks that share a frame, from detections.jsonl.
    func sharedFramePairs() throws -> Set<[String]> {
      let url = root.appendingPathComponent(
        "manifests/\(IdentitiesEndToEndTests.episode)/detections.jsonl")
      var byFrame: [Int: Set<String>] = [:]
      for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
        let row = try #require(
          try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        if let track = row["track_id"] as? String, let frame = row["frame_idx"] as? Int {
          byFrame[frame, default: []].insert(track)
        }
      }
      var pairs = Set<[String]>()
      for tracks in byFrame.values where tracks.count > 1 {
        let sorted = tracks.sorted()
        for i in sorted.indices {
          for j in (i + 1)..<sorted.count { pairs.insert([sorted[i], sorted[j]]) }
        }
      }
      return pairs
    }
  }

  /// The sample with oracle tracks, harvested and clustered with the defaults.
  static func prepared() throws -> Prepared {
    let root = try EpisodeRunProcess.freshSample()
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--faces-embed", "--cluster",
    ])
    try #require(outcome.status == 0, "\(outcome.combined)")
    return Prepared(root: root)
  }

  static func canonical(_ object: Any) throws -> Data {
    try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  }

  @Test("label and lock edits touch identities.json and screen time only: no decode, no thumbnail")
  func labelEditsNeedNoVideo() throws {
    // The whole pipeline, as a user runs it (screen time is then timed by track_metrics.json).
    let prepared = Prepared(root: try EpisodeRunProcess.freshSample())
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let run = try prepared.run([
      "--ep-id", Self.episode, "--detect-track", "--faces-embed", "--cluster",
    ])
    try #require(run.status == 0, "\(run.combined)")
    let thumbs = prepared.root.appendingPathComponent("frames/\(Self.episode)/thumbs")
    func thumbBytes() throws -> [String: Data] {
      var files: [String: Data] = [:]
      let walk = FileManager.default.enumerator(atPath: thumbs.path)
      while let relative = walk?.nextObject() as? String {
        guard relative.hasSuffix(".jpg") else { continue }
        files[relative] = try Data(contentsOf: thumbs.appendingPathComponent(relative))
      }
      return files
    }
    let before = try thumbBytes()
    try #require(!before.isEmpty)
    // Without the video, anything that decoded a frame would fail.
    try FileManager.default.removeItem(
      at: prepared.root.appendingPathComponent("videos/\(Self.episode)/episode.mp4"))
    let id = try #require(try prepared.identities().first?["identity_id"] as? String)
    for edit in [["label", id, "--name", "Offline Name"], ["lock", id], ["unlock", id]] {
      let outcome = try prepared.edit(edit)
      #expect(outcome.status == 0, "\(edit): \(outcome.combined)")
    }
    let labelled = try #require(
      try prepared.identities().first { $0["identity_id"] as? String == id })
    #expect((labelled["labels"] as? [String: String])?["name"] == "Offline Name")
    #expect(try prepared.screenTime()[id]?["name"] as? String == "Offline Name")
    #expect(try thumbBytes() == before)
  }

  @Test("default model and threshold: BCubed F1 ≥ 0.90, purity ≥ 0.95, no cannot-link broken")
  func accuracy() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let truth = try EpisodeRunProcess.trackIdentities()
    let identities = try prepared.identities()
    let clusters = try identities.map { try #require($0["track_ids"] as? [String]) }
    let tracks = clusters.flatMap { $0 }
    #expect(Set(tracks) == Set(truth.keys), "every track is in exactly one identity")
    #expect(tracks.count == Set(tracks).count)
    var precision = 0.0
    var recall = 0.0
    for cluster in clusters {
      for track in cluster {
        let person = truth[track]!
        let together = cluster.filter { truth[$0] == person }.count
        precision += Double(together) / Double(cluster.count)
        recall += Double(together) / Double(truth.values.filter { $0 == person }.count)
      }
    }
    precision /= Double(tracks.count)
    recall /= Double(tracks.count)
    let f1 = 2 * precision * recall / (precision + recall)
    let purity =
      Double(
        clusters.map { cluster in
          Dictionary(grouping: cluster, by: { truth[$0]! }).values.map(\.count).max() ?? 0
        }.reduce(0, +)) / Double(tracks.count)
    print("identities accuracy: BCubed F1 \(f1) (P \(precision), R \(recall)), purity \(purity)")
    #expect(f1 >= 0.9, "BCubed F1 \(f1)")
    #expect(purity >= 0.95, "purity \(purity)")
    let shared = try prepared.sharedFramePairs()
    try #require(!shared.isEmpty, "the sample has two-person shots")
    for cluster in clusters {
      for pair in shared { #expect(!(cluster.contains(pair[0]) && cluster.contains(pair[1]))) }
    }
    // Each identity has a non-blank representative thumbnail; validate is clean.
    let decoder = try JPEGDecoder()
    for identity in identities {
      let path = try #require(identity["canonical_face_path"] as? String)
      let image = try decoder.decode(
        try Data(
          contentsOf: prepared.root.appendingPathComponent("frames/\(Self.episode)/\(path)")))
      #expect(image.width == 224 && Set(image.pixels).count > 50, "\(path)")
    }
    try Self.checkScreenTime(prepared, truth: truth)
    let validate = try prepared.run(["validate", "--ep-id", Self.episode])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  /// Each person's screen time is exactly their frames in the generator's shot list ÷ 25 fps
  /// (timed from the video: the oracle tracks come without track metrics or shots).
  static func checkScreenTime(_ prepared: Prepared, truth: [String: String]) throws {
    let url = EpisodeRunProcess.repositoryRoot.appendingPathComponent(
      "data/ground_truth/\(episode)/shots.json")
    let shots = try #require(
      (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["shots"]
        as? [[String: Any]])
    var expected: [String: Double] = [:]
    for shot in shots {
      let frames = (shot["end_frame"] as? Int ?? 0) - (shot["start_frame"] as? Int ?? 0) + 1
      for person in shot["people"] as? [String] ?? [] {
        expected[person, default: 0] += Double(frames) / 25
      }
    }
    let identities = try prepared.identities()
    let screenTime = try prepared.screenTime()
    #expect(screenTime.count == identities.count)
    for identity in identities {
      let id = try #require(identity["identity_id"] as? String)
      let person = try #require((identity["track_ids"] as? [String])?.first.flatMap { truth[$0] })
      let seconds = try #require(screenTime[id]?["seconds"] as? Double)
      #expect(abs(seconds - (expected[person] ?? -1)) < 1e-6, "\(person): \(seconds)")
    }
  }

  @Test("label (any Unicode), merge, lock, re-run: the locked identity stays byte for byte")
  func editsSurviveReclustering() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let name = "Zoë Ōtsuka-李小龍 🎬 \"quoted\""
    let first = try prepared.identities()
    let ids = try first.map { try #require($0["identity_id"] as? String) }
    try #require(ids.count >= 3)
    // Two identities whose tracks never share a frame, to merge.
    let shared = try prepared.sharedFramePairs()
    let tracksOf = Dictionary(
      uniqueKeysWithValues: try first.map {
        (try #require($0["identity_id"] as? String), try #require($0["track_ids"] as? [String]))
      })
    let mergeable = ids.indices.flatMap { i in
      ids.indices.filter { $0 > i }.map { (ids[i], ids[$0]) }
    }
    .first { a, b in
      !tracksOf[a]!.contains { x in tracksOf[b]!.contains { shared.contains([x, $0].sorted()) } }
    }
    let (kept, absorbed) = try #require(mergeable)
    let labelled = try #require(ids.first { $0 != kept && $0 != absorbed })

    #expect(
      try prepared.edit(["label", labelled, "--name", name, "--person-id", "p-1"]).status == 0)
    let merge = try prepared.edit(["merge", kept, absorbed])
    #expect(merge.status == 0, "\(merge.combined)")
    #expect(try prepared.edit(["lock", kept]).status == 0)
    let lockedBefore = try #require(
      try prepared.identities().first { $0["identity_id"] as? String == kept })
    #expect(
      Set(lockedBefore["track_ids"] as? [String] ?? [])
        == Set(tracksOf[kept]! + tracksOf[absorbed]!))
    // Screen time followed the edits: the label, and the merged identity's tracks.
    let screenTime = try prepared.screenTime()
    #expect(screenTime[labelled]?["name"] as? String == name)
    #expect(screenTime[labelled]?["person_id"] as? String == "p-1")
    #expect(
      screenTime[kept]?["num_tracks"] as? Int == tracksOf[kept]!.count + tracksOf[absorbed]!.count)
    #expect(screenTime[absorbed] == nil)
    let csv = try String(
      contentsOf: prepared.root.appendingPathComponent("analytics/\(Self.episode)/screentime.csv"),
      encoding: .utf8)
    #expect(csv.contains(",\"Zoë Ōtsuka-李小龍 🎬 \"\"quoted\"\"\",p-1,"), "\(csv)")

    let rerun = try prepared.cluster()
    #expect(rerun.status == 0, "\(rerun.combined)")
    let after = try prepared.identities()
    let lockedAfter = try #require(after.first { $0["identity_id"] as? String == kept })
    #expect(try Self.canonical(lockedAfter) == Self.canonical(lockedBefore))
    // The label followed its faces, Unicode intact.
    let carrier = try #require(after.first { ($0["labels"] as? [String: String])?["name"] != nil })
    #expect((carrier["labels"] as? [String: String]) == ["name": name, "person_id": "p-1"])
    #expect(Set(carrier["track_ids"] as? [String] ?? []) == Set(tracksOf[labelled]!))
    #expect(carrier["identity_id"] as? String == labelled, "unchanged membership keeps the id")
    // No track of the locked identity went anywhere else.
    let lockedTracks = Set(lockedAfter["track_ids"] as? [String] ?? [])
    for identity in after where identity["identity_id"] as? String != kept {
      #expect(lockedTracks.isDisjoint(with: identity["track_ids"] as? [String] ?? []))
    }
    let validate = try prepared.run(["validate", "--ep-id", Self.episode])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test("move-track, split, the cannot-link rule and locks are enforced by the edits")
  func editRules() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let shared = try #require(
      try prepared.sharedFramePairs().sorted { $0.lexicographicallyPrecedes($1) }.first)
    let identities = try prepared.identities()
    func owner(_ track: String) throws -> String {
      try #require(
        identities.first { ($0["track_ids"] as? [String] ?? []).contains(track) }?["identity_id"]
          as? String)
    }
    // Two tracks seen in the same frame cannot be one person.
    let refused = try prepared.edit(["move-track", shared[0], "--to", try owner(shared[1])])
    #expect(refused.status != 0)
    #expect(refused.standardError.contains("share a frame"), "\(refused.combined)")
    // Split a track out of a multi-track identity, then move it back.
    let multi = try #require(identities.first { ($0["track_ids"] as? [String] ?? []).count > 1 })
    let home = try #require(multi["identity_id"] as? String)
    let track = try #require((multi["track_ids"] as? [String])?.last)
    let split = try prepared.edit(["split", track])
    #expect(split.status == 0, "\(split.combined)")
    let created = split.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try prepared.identities().contains { $0["identity_id"] as? String == created })
    #expect(try prepared.edit(["lock", home]).status == 0)
    let lockedTarget = try prepared.edit(["move-track", track, "--to", home])
    #expect(lockedTarget.status != 0)
    #expect(lockedTarget.standardError.contains("locked"))
    #expect(try prepared.edit(["unlock", home]).status == 0)
    let back = try prepared.edit(["move-track", track, "--to", home])
    #expect(back.status == 0, "\(back.combined)")
    #expect(try !prepared.identities().contains { $0["identity_id"] as? String == created })
    let validate = try prepared.run(["validate", "--ep-id", Self.episode])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test(
    "a hand-edited invalid identities.json: validate names it, --cluster refuses it without --force"
  )
  func invalidHandEdit() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    var document = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: prepared.identitiesURL))
        as? [String: Any])
    var identities = try #require(document["identities"] as? [[String: Any]])
    try #require(identities.count >= 2)
    let stolen = try #require((identities[0]["track_ids"] as? [String])?.first)
    identities[1]["track_ids"] =
      (identities[1]["track_ids"] as? [String] ?? []) + [stolen, "track-09999"]
    document["identities"] = identities
    let damaged = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    try damaged.write(to: prepared.identitiesURL)

    let validate = try prepared.run(["validate", "--ep-id", Self.episode])
    #expect(validate.status != 0)
    #expect(validate.standardOutput.contains("identities.json"))
    #expect(validate.standardOutput.contains("track-09999"), "\(validate.combined)")
    let refused = try prepared.cluster()
    #expect(refused.status != 0)
    #expect(refused.standardError.contains("--force") && refused.standardError.contains(stolen))
    #expect(try Data(contentsOf: prepared.identitiesURL) == damaged, "left as it was")
    let forced = try prepared.cluster(["--force"])
    #expect(forced.status == 0, "\(forced.combined)")
    let clean = try prepared.run(["validate", "--ep-id", Self.episode])
    #expect(clean.status == 0, "\(clean.combined)")
  }
}
