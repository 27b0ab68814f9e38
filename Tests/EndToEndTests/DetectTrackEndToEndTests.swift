import Artifacts
import Foundation
import Testing

/// Makes small videos with the ffmpeg command line for bad-input cases.
enum VideoFixtures {
  static func ffmpeg(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + arguments
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "ffmpeg \(arguments)")
  }

  static let sampleVideo = EpisodeRunProcess.repositoryRoot.appendingPathComponent(
    "data/videos/sample-s01e01/episode.mp4")

  /// A data root whose episode `episode` has the video `make` writes (given its path).
  static func root(episode: String, _ make: (URL) throws -> Void) throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    let folder = root.appendingPathComponent("videos/\(episode)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try make(folder.appendingPathComponent("episode.mp4"))
    return root
  }

  /// A data root with the repository's `data/videos/{episode}` video, after the whole chain
  /// (`--detect-track --faces-embed --cluster`) at defaults; `validate` must be clean.
  static func chainAtDefaults(episode: String) throws -> URL {
    let root = try Self.root(episode: episode) { url in
      try FileManager.default.createSymbolicLink(
        at: url,
        withDestinationURL: EpisodeRunProcess.repositoryRoot.appendingPathComponent(
          "data/videos/\(episode)/episode.mp4"))
    }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--detect-track", "--faces-embed", "--cluster",
    ])
    try #require(outcome.status == 0, "\(outcome.combined)")
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
    return root
  }

  static func rows(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }
}

@Suite("episode-run --detect-track, end to end", .serialized)
struct DetectTrackEndToEndTests {
  static let episode = "sample-s01e01"

  @Test(
    "from the bare video: --detect-track --faces-embed --cluster writes everything, validate clean")
  func chainFromBareVideo() throws {
    let root = try VideoFixtures.root(episode: Self.episode) { url in
      try FileManager.default.createSymbolicLink(
        at: url, withDestinationURL: VideoFixtures.sampleVideo)
    }
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--data-root", root.path, "--detect-track", "--faces-embed",
      "--cluster", "--stride", "2", "--detector", "scrfd",
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("detect-track \(Self.episode): 13 tracks"))
    #expect(outcome.standardOutput.contains("scene cuts: 8"))
    #expect(outcome.standardOutput.contains("faces harvest \(Self.episode)"))
    #expect(
      outcome.standardOutput.contains("identities \(Self.episode): 5 identities from "),
      "five people")
    let manifests = root.appendingPathComponent("manifests/\(Self.episode)")
    let detections = try VideoFixtures.rows(manifests.appendingPathComponent("detections.jsonl"))
    #expect(detections.allSatisfy { ($0["frame_idx"] as? Int ?? 1) % 2 == 0 }, "stride 2")
    #expect(detections.allSatisfy { $0["model_id"] as? String == "scrfd" })
    let faces = try VideoFixtures.rows(manifests.appendingPathComponent("faces.jsonl"))
    #expect(faces.count >= 13)
    let metrics = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("track_metrics.json")))
        as? [String: Any])
    #expect(metrics["total_frames"] as? Int == 250)
    #expect(metrics["analyzed_fps"] as? Double == 12.5)
    #expect(metrics["detector"] as? String == "scrfd")
    try Self.checkShots(manifests.appendingPathComponent("shots.jsonl"))
    try Self.checkScreenTime(
      root.appendingPathComponent("analytics/\(Self.episode)"), tracks: 13)
    #expect(outcome.standardOutput.contains("screen time \(Self.episode): episode 20.00 s"))
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
    #expect(validate.standardOutput.contains("track_metrics.json"))
    #expect(validate.standardOutput.contains("identities.json"))
    #expect(validate.standardOutput.contains("shots.jsonl: 9"))
    #expect(validate.standardOutput.contains("screentime.json"))
  }

  /// The sample's nine shots (cuts at frames 60, 120, 170, 230, 280, 340, 395, 450): each starts
  /// at its cut even when the detector skipped that frame (the encoder put a keyframe at every
  /// cut, and a cut found between analysed frames moves to the keyframe between them) and ends
  /// the frame before the next one starts.
  static func checkShots(_ url: URL) throws {
    let cuts = [60, 120, 170, 230, 280, 340, 395, 450]
    let starts = [0] + cuts
    let ends = starts.dropFirst().map { $0 - 1 } + [499]
    let shots = try VideoFixtures.rows(url)
    #expect(shots.map { $0["shot_idx"] as? Int } == Array(0..<9))
    #expect(shots.map { $0["frame_span"] as? [Int] ?? [] } == zip(starts, ends).map { [$0, $1] })
    for (shot, (start, end)) in zip(shots, zip(starts, ends)) {
      #expect(abs((shot["start_s"] as? Double ?? -1) - Double(start) / 25) < 1e-6, "\(shot)")
      #expect(abs((shot["end_s"] as? Double ?? -1) - Double(end) / 25) < 1e-6, "\(shot)")
      let histogram = try #require(shot["histogram"] as? [Double])
      #expect(histogram.count == 64 && abs(histogram.reduce(0, +) - 1) < 1e-9)
      #expect(shot["schema_version"] as? String == "shot_v1")
    }
  }

  /// Screen time for the five identities and the tracks in none: every track counted once, every
  /// identity on screen for part of the 20 s. (Seconds against the ground truth:
  /// `IdentitiesEndToEndTests`, where every track reaches an identity.)
  static func checkScreenTime(_ folder: URL, tracks: Int) throws {
    let report = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: folder.appendingPathComponent("screentime.json")))
        as? [String: Any])
    let identities = try #require(report["identities"] as? [[String: Any]])
    let unidentified = try #require(report["unidentified"] as? [String: Any])
    #expect(identities.count == 5)
    let counted = identities.compactMap { $0["num_tracks"] as? Int }.reduce(0, +)
    #expect(counted + (unidentified["num_tracks"] as? Int ?? -1) == tracks)
    let seconds = identities.compactMap { $0["seconds"] as? Double }
    #expect(seconds.count == 5 && seconds.allSatisfy { $0 > 0 && $0 <= 20 }, "\(seconds)")
    #expect(seconds == seconds.sorted(by: >), "longest first")
    #expect(report["duration_s"] as? Double == 20 && report["frame_step_s"] as? Double == 0.08)
    #expect(report["cuts_known"] as? Bool == true)
    let csv = try String(
      contentsOf: folder.appendingPathComponent("screentime.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\r\n").count == 7, "header, five identities, unidentified")
  }

  @Test("a video without faces gives empty but valid artifacts")
  func noFaces() throws {
    let root = try VideoFixtures.root(episode: "blank") { url in
      try VideoFixtures.ffmpeg([
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "40", "-c:v",
        "libx264", "-pix_fmt", "yuv420p", url.path,
      ])
    }
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", "blank", "--data-root", root.path, "--detect-track", "--stride", "1",
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    let manifests = root.appendingPathComponent("manifests/blank")
    #expect(try Data(contentsOf: manifests.appendingPathComponent("detections.jsonl")).isEmpty)
    #expect(try Data(contentsOf: manifests.appendingPathComponent("tracks.jsonl")).isEmpty)
    let metrics = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("track_metrics.json")))
        as? [String: Any])
    #expect(metrics["tracks_born"] as? Int == 0 && metrics["total_frames"] as? Int == 40)
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", "blank", "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test("a one-frame video gives one analysed frame and tracks born in it")
  func oneFrame() throws {
    let root = try VideoFixtures.root(episode: "one") { url in
      try VideoFixtures.ffmpeg([
        "-i", VideoFixtures.sampleVideo.path, "-frames:v", "1", "-c:v", "libx264", "-pix_fmt",
        "yuv420p", url.path,
      ])
    }
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", "one", "--data-root", root.path, "--detect-track",
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    let manifests = root.appendingPathComponent("manifests/one")
    let tracks = try VideoFixtures.rows(manifests.appendingPathComponent("tracks.jsonl"))
    #expect(tracks.count == 1)
    #expect(tracks.first?["frame_span"] as? [Int] == [0, 0])
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", "one", "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test("a variable-frame-rate video: ts_s comes from each frame's timestamp")
  func variableFrameRate() throws {
    // Frames 0–9 are 0.1 s apart, the rest 0.02 s: frame_idx / fps would be wrong for both.
    let root = try VideoFixtures.root(episode: "vfr") { url in
      try VideoFixtures.ffmpeg([
        "-i", VideoFixtures.sampleVideo.path, "-frames:v", "30", "-vf",
        "settb=1/1000,setpts='if(lt(N,10),N*0.1,1+(N-10)*0.02)/TB'", "-fps_mode", "passthrough",
        "-enc_time_base", "1/1000", "-video_track_timescale", "1000", "-c:v", "libx264",
        "-pix_fmt", "yuv420p", url.path,
      ])
    }
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", "vfr", "--data-root", root.path, "--detect-track", "--stride", "1",
    ])
    #expect(outcome.status == 0, "\(outcome.combined)")
    let rows = try VideoFixtures.rows(
      root.appendingPathComponent("manifests/vfr/detections.jsonl"))
    try #require(rows.count >= 25)
    for row in rows {
      let frame = try #require(row["frame_idx"] as? Int)
      let expected = frame < 10 ? Double(frame) * 0.1 : 1 + Double(frame - 10) * 0.02
      // The file's time base is 1 ms and ffmpeg rounds the expression down: within 1.5 ms.
      // frame_idx / fps (fps 18.99 here) would be up to 0.15 s off.
      #expect(abs((row["ts_s"] as? Double ?? -1) - expected) < 0.0015, "frame \(frame)")
    }
    let tracks = try VideoFixtures.rows(root.appendingPathComponent("manifests/vfr/tracks.jsonl"))
    #expect(abs((tracks.first?["end_s"] as? Double ?? 0) - 1.38) < 0.0015)
  }

  @Test("a truncated or corrupt video is a clear error and earlier artifacts stay as they were")
  func damagedVideo() throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let manifests = root.appendingPathComponent("manifests/\(Self.episode)")
    let video = root.appendingPathComponent("videos/\(Self.episode)/episode.mp4")
    let before = try [("detections.jsonl"), ("tracks.jsonl")].map {
      try Data(contentsOf: manifests.appendingPathComponent($0))
    }
    let original = try Data(contentsOf: VideoFixtures.sampleVideo)
    try FileManager.default.removeItem(at: video)
    for damaged in [original.prefix(original.count / 2), Data(repeating: 0x5A, count: 4096)] {
      try damaged.write(to: video)
      let outcome = try EpisodeRunProcess.run([
        "--ep-id", Self.episode, "--data-root", root.path, "--detect-track",
      ])
      #expect(outcome.status != 0)
      #expect(outcome.standardError.contains("episode.mp4"), "\(outcome.combined)")
      let after = try [("detections.jsonl"), ("tracks.jsonl")].map {
        try Data(contentsOf: manifests.appendingPathComponent($0))
      }
      #expect(after == before)
      let listing = try FileManager.default.contentsOfDirectory(atPath: manifests.path)
      #expect(Set(listing) == ["detections.jsonl", "tracks.jsonl"], "\(listing)")
    }
  }

  @Test("a detector model of the wrong layout is refused, naming the outputs it needs")
  func wrongLayoutDetector() throws {
    let deps = EpisodeRunProcess.repositoryRoot.appendingPathComponent(".deps")
    let manifestURL = deps.appendingPathComponent("models/manifest.json")
    var manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
    var models = try #require(manifest["models"] as? [[String: Any]])
    var fake = try #require(models.first { $0["name"] as? String == "sface" })
    fake["name"] = "fake_yunet"
    fake["role"] = "detector"
    fake["family"] = "yunet"
    fake["file"] = deps.appendingPathComponent("models/sface.onnx").path
    models.append(fake)
    manifest["models"] = models
    let fakeDeps = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-deps-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: fakeDeps) }
    try FileManager.default.createDirectory(
      at: fakeDeps.appendingPathComponent("models"), withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: manifest).write(
      to: fakeDeps.appendingPathComponent("models/manifest.json"))
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run(
      [
        "--ep-id", Self.episode, "--data-root", root.path, "--detect-track", "--detector",
        "fake_yunet",
      ], environment: ["FACEHARVEST_DEPS": fakeDeps.path])
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("cls_8"), "\(outcome.combined)")
    #expect(outcome.standardError.contains("sface.onnx"))
    #expect(
      !FileManager.default.fileExists(
        atPath: root.appendingPathComponent("manifests/\(Self.episode)/track_metrics.json").path))
  }

  @Test("--config files are routed by their keys; a mixed or unknown key names file and line")
  func configFiles() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let mixed = directory.appendingPathComponent("mixed.yaml")
    try Data("stride: 2\nmin_quality: 0.5\n".utf8).write(to: mixed)
    let unknown = directory.appendingPathComponent("unknown.yaml")
    try Data("stride: 2\ntrack_bufer: 10\n".utf8).write(to: unknown)
    // Model names the manifest lacks are config errors at their line too.
    let detector = directory.appendingPathComponent("detector.yaml")
    try Data("stride: 2\ndetector: nosuch\n".utf8).write(to: detector)
    let embedder = directory.appendingPathComponent("embedder.yaml")
    try Data("min_quality: 0.5\nembed_model: nosuch\n".utf8).write(to: embedder)
    for (file, stage, needle) in [
      (mixed, "--detect-track", "mixed.yaml:2"), (unknown, "--detect-track", "unknown.yaml:2"),
      (detector, "--detect-track", "detector.yaml:2: detector: "),
      (embedder, "--faces-embed", "embedder.yaml:2: embed_model: "),
    ] {
      let outcome = try EpisodeRunProcess.run([
        "--ep-id", Self.episode, "--data-root", directory.path, stage, "--config", file.path,
      ])
      #expect(outcome.status != 0)
      #expect(outcome.standardError.contains(needle), "\(outcome.combined)")
    }
    let badFlag = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--data-root", directory.path, "--detect-track", "--stride", "0",
    ])
    #expect(badFlag.status != 0)
    #expect(badFlag.standardError.contains("--stride"))
  }
}
