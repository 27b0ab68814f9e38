import Artifacts
import EpisodePipeline
import FaceHarvestCore
import Foundation
import HTTPApp
import Inference
import Logging
import Testing

/// `episode-run` and `faceharvest-server` resolve the same request identically: the options
/// the built CLI prints with `--show-options` equal those the server's request adapter
/// (`JobFactory.resolve`, what `?dry_run=true` answers) resolves from the equivalent body.
@Suite("CLI and server option parity")
struct OptionParityEndToEndTests {
  /// A request as command-line flags and as a request body.
  struct Request: CustomStringConvertible {
    let kind: JobKind
    let flags: [String]
    let body: [String: JSONValue]
    var description: String { "\(kind.rawValue) \(flags.joined(separator: " "))" }
  }

  static let requests: [Request] = [
    Request(kind: .pipeline, flags: ["--detect-track", "--faces-embed", "--cluster"], body: [:]),
    Request(
      kind: .detectTrack, flags: ["--detect-track", "--det-thresh", "0.7"],
      body: ["det_thresh": .number(0.7)]),
    Request(
      kind: .detectTrack, flags: ["--detect-track", "--stride", "3", "--detector", "scrfd"],
      body: ["stride": .integer(3), "detector": .string("scrfd")]),
    Request(
      kind: .facesEmbed,
      flags: [
        "--faces-embed", "--save-crops", "--min-face-size", "40", "--sampling-mode",
        "quality-weighted", "--min-face-conf", "0.6",
      ],
      body: [
        "save_crops": .bool(true), "min_face_size": .integer(40),
        "sampling_mode": .string("quality-weighted"), "min_confidence": .number(0.6),
      ]),
    Request(
      kind: .cluster, flags: ["--cluster", "--cluster-thresh", "0.45", "--linkage", "complete"],
      body: ["cluster_thresh": .number(0.45), "linkage": .string("complete")]),
  ]

  @Test("the CLI and the server resolve each request to the same options", arguments: requests)
  func parity(_ request: Request) throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run(
      ["--ep-id", "sample-s01e01", "--data-root", root.path, "--show-options"] + request.flags)
    #expect(outcome.status == 0, "\(outcome.combined)")
    let printed = try JSONValue.parse(Array(outcome.standardOutput.utf8))

    let factory = JobFactory(
      layout: DataLayout(root: root), manifest: try Self.manifest(),
      configDirectory: EpisodeRunProcess.repositoryRoot.appendingPathComponent("config/pipeline"),
      logger: Logger(label: "test.parity"))
    var body = request.body
    body["ep_id"] = .string("sample-s01e01")
    let (_, options) = try factory.resolve(kind: request.kind, body: .object(body))
    // As the server sends it: encoded to JSON text (10.0 is written 10).
    let served = try JSONValue.parse(Array(try JSONEncoder().encode(OptionsJSON.value(options))))
    #expect(printed == served)
  }

  @Test("a value the CLI refuses is refused by the server too, each naming its own spelling")
  func refusedAlike() throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run(
      [
        "--ep-id", "sample-s01e01", "--data-root", root.path, "--show-options", "--faces-embed",
        "--min-face-size", "0",
      ])
    #expect(outcome.status != 0)
    #expect(outcome.standardError.contains("--min-face-size: 0 is outside 1...4096"))
    let factory = JobFactory(
      layout: DataLayout(root: root), manifest: try Self.manifest(),
      configDirectory: EpisodeRunProcess.repositoryRoot.appendingPathComponent("config/pipeline"),
      logger: Logger(label: "test.parity"))
    #expect {
      try factory.resolve(
        kind: .facesEmbed,
        body: .object(["ep_id": .string("sample-s01e01"), "min_face_size": .integer(0)]))
    } throws: { error in
      "\(error)".contains("request body:1: min_face_size: 0 is outside 1...4096")
    }
  }

  static func manifest() throws -> ModelManifest {
    let deps =
      ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"].flatMap { $0.isEmpty ? nil : $0 }
      ?? EpisodeRunProcess.repositoryRoot.appendingPathComponent(".deps").path
    return try ModelManifest.load(
      from: URL(fileURLWithPath: deps).appendingPathComponent("models/manifest.json"))
  }
}
