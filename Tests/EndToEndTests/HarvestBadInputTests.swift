import Artifacts
import Foundation
import Testing

/// Bad input to `--faces-embed`: a clear error (or a per-face rejection) and never a partial or
/// damaged `faces.jsonl` / `faces.npy`.
@Suite("episode-run --faces-embed with bad input", .serialized)
struct HarvestBadInputTests {
  static let episode = "sample-s01e01"

  /// A fresh sample with one good harvest done, and the bytes of its outputs.
  struct Prepared {
    let root: URL
    let facesBytes: Data
    let npyBytes: Data
    var manifests: URL { root.appendingPathComponent("manifests/\(HarvestBadInputTests.episode)") }
    var facesURL: URL { manifests.appendingPathComponent("faces.jsonl") }
    var npyURL: URL {
      root.appendingPathComponent("embeds/\(HarvestBadInputTests.episode)/faces.npy")
    }
    var detectionsURL: URL { manifests.appendingPathComponent("detections.jsonl") }
    var tracksURL: URL { manifests.appendingPathComponent("tracks.jsonl") }

    func run(_ extra: [String] = [], environment: [String: String] = [:]) throws
      -> EpisodeRunProcess.Outcome
    {
      try EpisodeRunProcess.run(
        ["--ep-id", HarvestBadInputTests.episode, "--faces-embed", "--data-root", root.path]
          + extra,
        environment: environment)
    }

    /// The previous artifacts are byte-identical and no temporary file is left beside them.
    func expectUntouched() throws {
      #expect(try Data(contentsOf: facesURL) == facesBytes)
      #expect(try Data(contentsOf: npyURL) == npyBytes)
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: manifests.path)
        .filter { $0.hasPrefix(".") || $0.contains("tmp") }
      #expect(leftovers.isEmpty, "\(leftovers)")
    }

    func editLines(_ url: URL, _ edit: (inout [String]) throws -> Void) throws {
      var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(
        String.init)
      try edit(&lines)
      try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }
  }

  static func prepared() throws -> Prepared {
    let root = try EpisodeRunProcess.freshSample()
    let first = try EpisodeRunProcess.run(
      ["--ep-id", episode, "--faces-embed", "--data-root", root.path, "--sample-interval", "20"])
    try #require(first.status == 0, "\(first.combined)")
    let layout = DataLayout(root: root)
    let id = try EpisodeID(episode)
    return Prepared(
      root: root, facesBytes: try Data(contentsOf: layout.faces(id)),
      npyBytes: try Data(contentsOf: layout.facesNPY(id)))
  }

  @Test("a missing video or manifest is named and nothing is written")
  func missingInputs() throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.removeItem(
      at: root.appendingPathComponent("manifests/\(Self.episode)/tracks.jsonl"))
    let noTracks = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--faces-embed", "--data-root", root.path,
    ])
    #expect(noTracks.status != 0)
    #expect(noTracks.standardError.contains("tracks.jsonl"))
    try FileManager.default.removeItem(
      at: root.appendingPathComponent("videos/\(Self.episode)/episode.mp4"))
    let noVideo = try EpisodeRunProcess.run([
      "--ep-id", Self.episode, "--faces-embed", "--data-root", root.path,
    ])
    #expect(noVideo.status != 0)
    #expect(noVideo.standardError.contains("episode.mp4"))
    #expect(
      !FileManager.default.fileExists(
        atPath: root.appendingPathComponent("manifests/\(Self.episode)/faces.jsonl").path))
  }

  @Test(
    "NaN landmarks in detections.jsonl: an error naming the line and field, old artifacts intact")
  func nanLandmarks() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    try prepared.editLines(prepared.detectionsURL) { lines in
      lines[6] = lines[6].replacingOccurrences(of: "\"landmarks\":[", with: "\"landmarks\":[NaN,")
    }
    let outcome = try prepared.run()
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("detections.jsonl:7"), "\(outcome.standardError)")
    #expect(outcome.standardError.contains("landmarks"))
    try prepared.expectUntouched()
  }

  @Test("a detection of a track that tracks.jsonl lacks is an error naming the line")
  func unknownTrack() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    try prepared.editLines(prepared.detectionsURL) { lines in
      lines[3] = lines[3].replacingOccurrences(
        of: #""track_id":"track-0000"#, with: #""track_id":"track-0009"#
      )
      .replacingOccurrences(of: "track-0009", with: "track-0099")
    }
    let outcome = try prepared.run()
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("detections.jsonl:4"), "\(outcome.standardError)")
    #expect(outcome.standardError.contains("not in tracks.jsonl"))
    try prepared.expectUntouched()
  }

  @Test("an embedding model whose output is not a vector is refused; old artifacts intact")
  func nonVectorModel() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let models = EpisodeRunProcess.repositoryRoot.appendingPathComponent(".deps/models/test")
    let outcome = try prepared.run(
      ["--embed-model", "not_a_vector"], environment: ["FACEHARVEST_MODELS": models.path])
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("not_a_vector.onnx"), "\(outcome.standardError)")
    #expect(outcome.standardError.contains("not an N×512 embedding"))
    try prepared.expectUntouched()
  }

  @Test("a truncated video is refused as detect-track refuses it, even with no provenance.json")
  func truncatedVideo() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let video = prepared.root.appendingPathComponent("videos/\(Self.episode)/episode.mp4")
    let bytes = try Data(contentsOf: video.resolvingSymlinksInPath())
    try FileManager.default.removeItem(at: video)
    try bytes.prefix(bytes.count / 2).write(to: video)
    let outcome = try prepared.run(["--sample-interval", "20"], environment: ["DEBUG_THUMBS": "1"])
    #expect(outcome.status == 1, "\(outcome.combined)")
    #expect(
      outcome.standardError.contains("episode.mp4 is truncated: it ends after "),
      "\(outcome.standardError)")
    #expect(outcome.standardError.contains("of the 500 frames its container declares"))
    #expect(outcome.standardError.contains("no artifact was written"))
    try prepared.expectUntouched()
  }

  @Test("a video cut to its first 8 KiB yields no frame the tracks need: an error, faces kept")
  func headerOnlyVideo() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let video = prepared.root.appendingPathComponent("videos/\(Self.episode)/episode.mp4")
    let bytes = try Data(contentsOf: video.resolvingSymlinksInPath())
    try FileManager.default.removeItem(at: video)
    try bytes.prefix(8192).write(to: video)
    let outcome = try prepared.run(["--sample-interval", "20"])
    #expect(outcome.status != 0, "\(outcome.combined)")
    #expect(outcome.standardError.contains("episode.mp4"), "\(outcome.standardError)")
    #expect(
      outcome.standardError.contains("no artifact was written"), "\(outcome.standardError)")
    try prepared.expectUntouched()
  }

  @Test("a second writer on the episode is refused at once, naming the holder; readers go on")
  func episodeLocked() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let layout = DataLayout(root: prepared.root)
    let lock = try EpisodeLock.acquire(
      layout: layout, episode: try EpisodeID(Self.episode), purpose: "a test holding the lock")
    defer { lock.release() }
    let outcome = try prepared.run(["--cluster"])
    #expect(outcome.status != 0, "\(outcome.combined)")
    #expect(
      outcome.standardError.contains(
        "episode \(Self.episode) is being written by a test holding the lock (pid "),
      "\(outcome.standardError)")
    try prepared.expectUntouched()
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", prepared.root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test("what a killed run left behind is removed by the next writer")
  func leftoversRemoved() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let frames = prepared.root.appendingPathComponent("frames/\(Self.episode)")
    let planted = [
      prepared.manifests.appendingPathComponent(".faces.jsonl.tmp-0badf00d"),
      frames.appendingPathComponent(".crops-staging-killed/track-00001"),
    ]
    for url in planted {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data("partial".utf8).write(to: url)
    }
    try FileManager.default.createDirectory(
      at: frames.appendingPathComponent("crops"), withIntermediateDirectories: true)
    let outcome = try prepared.run(["--cluster"])
    #expect(outcome.status == 0, "\(outcome.combined)")
    for folder in [prepared.manifests, frames] {
      let hidden = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasPrefix(".") }
      #expect(hidden.isEmpty, "\(hidden)")
    }
  }

  @Test("a FIFO named episode.mp4 is refused at once by both stages, nothing written")
  func fifoVideo() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    let video = prepared.root.appendingPathComponent("videos/\(Self.episode)/episode.mp4")
    try FileManager.default.removeItem(at: video)
    try #require(mkfifo(video.path, 0o600) == 0)
    for stage in ["--faces-embed", "--detect-track"] {
      let outcome = try EpisodeRunProcess.run([
        "--ep-id", Self.episode, stage, "--data-root", prepared.root.path,
      ])
      #expect(outcome.status != 0, "\(stage): \(outcome.combined)")
      #expect(outcome.standardError.contains("is a FIFO, not a regular file"), "\(stage)")
    }
    try prepared.expectUntouched()
  }

  @Test("frames beyond the video, empty tracks and out-of-frame boxes are per-face outcomes")
  func perFaceProblems() throws {
    let prepared = try Self.prepared()
    defer { try? FileManager.default.removeItem(at: prepared.root) }
    try prepared.editLines(prepared.detectionsURL) { lines in
      // A detection far past the last frame, in track-00001.
      var late = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
      late["frame_idx"] = 9000
      lines.append(
        String(decoding: try JSONSerialization.data(withJSONObject: late), as: UTF8.self))
      // A box hanging out of the frame on the right (the input breaks det_v1; it is clamped).
      var outside = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
      var box = outside["bbox"] as! [Double]
      box[2] = 1.3
      outside["bbox"] = box
      lines[1] = String(
        decoding: try JSONSerialization.data(withJSONObject: outside), as: UTF8.self)
    }
    try prepared.editLines(prepared.tracksURL) { lines in
      var empty = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
      empty["track_id"] = "track-00099"
      lines.append(
        String(decoding: try JSONSerialization.data(withJSONObject: empty), as: UTF8.self))
    }
    let outcome = try prepared.run(
      [
        "--sampling-mode", "quality-weighted", "--sample-interval", "2", "--max-crops-per-track",
        "100",
      ],
      environment: ["DEBUG_THUMBS": "1"])
    #expect(outcome.status == 0, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("tracks without detections: 1"))
    #expect(outcome.standardOutput.contains("decode_failed 1"))
    let faces = try JSONLReader<Face>.readAll(from: prepared.facesURL)
    #expect(faces.allSatisfy { $0.bbox.allSatisfy { (0...1).contains($0) } })
    #expect(!faces.contains { $0.frameIndex == 9000 })
  }
}
