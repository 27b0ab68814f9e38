import Artifacts
import Foundation
import Testing

@Suite("one decode: --detect-track --faces-embed in one run", .serialized)
struct SinglePassEndToEndTests {
  /// A data root holding only the episode's video (linked).
  static func bareRoot(_ episode: String) throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-single-pass-\(UUID().uuidString)")
    let folder = root.appendingPathComponent("videos/\(episode)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: folder.appendingPathComponent("episode.mp4"),
      withDestinationURL: EpisodeRunProcess.repositoryRoot.appendingPathComponent(
        "data/videos/\(episode)/episode.mp4"))
    return root
  }

  /// Every artifact file under `root` (relative path → bytes), `track_metrics.json` (it records
  /// the run's elapsed time) and the episode lock left out.
  static func artifacts(under root: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let base = root.standardizedFileURL.path + "/"
    for folder in ["manifests", "embeds", "frames"] {
      let enumerator = FileManager.default.enumerator(
        at: root.appendingPathComponent(folder), includingPropertiesForKeys: [.isRegularFileKey])
      while let url = enumerator?.nextObject() as? URL {
        guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true,
          url.lastPathComponent != "track_metrics.json"
        else { continue }
        files[String(url.standardizedFileURL.path.dropFirst(base.count))] = try Data(
          contentsOf: url)
      }
    }
    return files
  }

  static func run(_ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
    let outcome = try EpisodeRunProcess.run(arguments, environment: ["DEBUG_THUMBS": "1"])
    #expect(outcome.status == 0, "\(arguments): \(outcome.combined)")
    return outcome
  }

  /// `provenance.json` without its `made_at` times and the hash of `track_metrics.json` (which
  /// holds the run's elapsed time).
  static func timeless(_ data: Data) throws -> ProvenanceDocument {
    var document = try JSONDecoder().decode(ProvenanceDocument.self, from: data)
    for (name, var record) in document.stages {
      record.madeAt = ""
      record.outputs = record.outputs.filter { !$0.key.hasSuffix("track_metrics.json") }
      document.stages[name] = record
    }
    return document
  }

  @Test("one decode writes the two stages' artifacts byte for byte, crops and episode cap too")
  func sameArtifactsAsTwoRuns() throws {
    let episode = "sample-s01e02"
    // The cap binds (20 of 38 faces): probes of tracks that lose every face to it are kept.
    let options = ["--save-crops", "--max-crops-per-episode", "20"]
    let one = try Self.bareRoot(episode)
    let two = try Self.bareRoot(episode)
    defer {
      try? FileManager.default.removeItem(at: one)
      try? FileManager.default.removeItem(at: two)
    }
    let single = try Self.run(
      ["--ep-id", episode, "--data-root", one.path, "--detect-track", "--faces-embed"] + options)
    #expect(single.combined.contains("taken from detect-track's decode (one decode)"))
    _ = try Self.run(["--ep-id", episode, "--data-root", two.path, "--detect-track"] + options)
    let harvest = try Self.run(
      ["--ep-id", episode, "--data-root", two.path, "--faces-embed"] + options)
    #expect(harvest.combined.contains("not decoded (non-reference, no face)"))
    // Probes by need in both feeds, the capped tracks' held probes included (docs/harvest.md).
    let notEmbedded = { (output: String) in
      output.split(separator: "\n").first { $0.contains("probes not embedded:") }.map(String.init)
    }
    #expect(notEmbedded(single.combined) != nil)
    #expect(notEmbedded(single.combined) == notEmbedded(harvest.combined))

    let oneFiles = try Self.artifacts(under: one)
    let twoFiles = try Self.artifacts(under: two)
    #expect(oneFiles.keys.sorted() == twoFiles.keys.sorted())
    #expect(oneFiles.keys.filter { $0.hasSuffix(".jpg") }.count >= 20)
    #expect(oneFiles.keys.contains { $0.contains("/probe_") }, "probes of capped tracks kept")
    for (path, data) in oneFiles.sorted(by: { $0.key < $1.key }) {
      if path.hasSuffix("provenance.json") {
        // The same records but for the times the stages committed.
        #expect(try Self.timeless(data) == Self.timeless(twoFiles[path] ?? Data()))
      } else {
        #expect(data == twoFiles[path], "\(path) differs")
      }
    }
    let validate = try Self.run(["validate", "--ep-id", episode, "--data-root", one.path])
    #expect(validate.status == 0)
  }
}
