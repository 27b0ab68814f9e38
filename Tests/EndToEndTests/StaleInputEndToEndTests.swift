import Artifacts
import Foundation
import Testing

/// Stages refuse inputs that no longer match what their upstream artifacts were made from, and
/// `validate` reports them (docs/artifacts.md, "What artifacts were made from").
@Suite("Stale inputs are refused before anything is written", .serialized)
struct StaleInputEndToEndTests {
  static let episode = "sample-s01e01"

  /// A data root with its own copy of the sample's video (the test truncates it).
  static func root() throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    let folder = root.appendingPathComponent("videos/\(episode)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: EpisodeRunProcess.repositoryRoot.appendingPathComponent(
        "data/videos/\(episode)/episode.mp4"),
      to: folder.appendingPathComponent("episode.mp4"))
    return root
  }

  static func run(_ root: URL, _ arguments: [String]) throws -> EpisodeRunProcess.Outcome {
    try EpisodeRunProcess.run(arguments + ["--ep-id", episode, "--data-root", root.path])
  }

  /// Every artifact file's bytes (the episode lock aside).
  static func artifacts(_ root: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for top in ["manifests", "embeds", "analytics", "frames"] {
      let folder = root.appendingPathComponent("\(top)/\(episode)")
      let walk = FileManager.default.enumerator(atPath: folder.path)
      while let relative = walk?.nextObject() as? String {
        let url = folder.appendingPathComponent(relative)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder),
          !isFolder.boolValue
        else { continue }
        files["\(top)/\(relative)"] = try Data(contentsOf: url)
      }
    }
    return files
  }

  @Test("a video truncated after a finished run is refused by every stage; validate says stale")
  func truncatedBeforeEveryStage() throws {
    let root = try Self.root()
    defer { try? FileManager.default.removeItem(at: root) }
    let full = try Self.run(root, ["--detect-track", "--faces-embed", "--save-crops", "--cluster"])
    try #require(full.status == 0, "\(full.combined)")
    let before = try Self.artifacts(root)
    try #require(before.keys.contains { $0.hasSuffix(".jpg") })
    let video = root.appendingPathComponent("videos/\(Self.episode)/episode.mp4")
    let bytes = try Data(contentsOf: video)
    try bytes.prefix(bytes.count * 3 / 10).write(to: video)

    let changed = "videos/\(Self.episode)/episode.mp4 changed since detect-track: "
    for stage in [["--faces-embed", "--save-crops"], ["--cluster"]] {
      let refused = try Self.run(root, stage)
      #expect(refused.status == 1, "\(stage): \(refused.combined)")
      #expect(refused.standardError.contains(changed), "\(stage): \(refused.standardError)")
      #expect(
        refused.standardError.contains("frames now, 500 then; run --detect-track again"),
        "\(stage): \(refused.standardError)")
      #expect(refused.standardError.contains("no artifact was written"))
      #expect(try Self.artifacts(root) == before, "\(stage) changed an artifact")
    }
    let detect = try Self.run(root, ["--detect-track"])
    #expect(detect.status == 1, "\(detect.combined)")
    #expect(detect.standardError.contains("of the 500 frames its container declares"))
    #expect(try Self.artifacts(root) == before)

    let validate = try Self.run(root, ["validate"])
    #expect(validate.status == 1)
    let stale = validate.standardOutput.split(separator: "\n").filter { $0.contains(": stale: ") }
    #expect(stale.count == 3, "\(validate.standardOutput)")
    #expect(stale.allSatisfy { $0.contains("frames now, 500 then") }, "\(stale)")
  }

  @Test("detect-track run again: clustering refuses faces of the old tracks until the harvest runs")
  func upstreamRunAgain() throws {
    let root = try Self.root()
    defer { try? FileManager.default.removeItem(at: root) }
    let full = try Self.run(root, ["--detect-track", "--faces-embed", "--cluster"])
    try #require(full.status == 0, "\(full.combined)")
    let again = try Self.run(root, ["--detect-track", "--target-fps", "5"])
    try #require(again.status == 0, "\(again.combined)")
    let before = try Self.artifacts(root)

    let refused = try Self.run(root, ["--cluster"])
    #expect(refused.status == 1, "\(refused.combined)")
    #expect(
      refused.standardError.contains(
        "manifests/\(Self.episode)/detections.jsonl changed since faces-embed: detect-track wrote "
          + "it again at "),
      "\(refused.standardError)")
    #expect(refused.standardError.contains("run --faces-embed again"))
    #expect(try Self.artifacts(root) == before)
    let validate = try Self.run(root, ["validate"])
    #expect(validate.status == 1)
    #expect(validate.standardOutput.contains("faces.npy: stale: "), "\(validate.standardOutput)")

    let harvest = try Self.run(root, ["--faces-embed", "--cluster"])
    #expect(harvest.status == 0, "\(harvest.combined)")
    let clean = try Self.run(root, ["validate"])
    #expect(clean.status == 0, "\(clean.combined)")
  }
}
