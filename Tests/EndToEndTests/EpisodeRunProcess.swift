import BuiltExecutableSupport
import Foundation

/// Runs the built `episode-run` executable the way a user does.
struct EpisodeRunProcess {
  struct Outcome {
    /// The exit status, or the signal number when `signalled`.
    let status: Int32
    let standardOutput: String
    let standardError: String
    /// Whether a signal ended the process (`status` is then the signal).
    var signalled = false
    var combined: String { standardOutput + standardError }
  }

  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The built `episode-run`, or `$FACEHARVEST_EPISODE_RUN`.
  static func executable() throws -> URL {
    try BuiltExecutable.url(named: "episode-run", override: "FACEHARVEST_EPISODE_RUN")
  }

  /// `episode-run arguments`, not started: run from the repository root with
  /// `FACEHARVEST_DEPS` set (and `extra`).
  static func process(_ arguments: [String], environment extra: [String: String] = [:]) throws
    -> Process
  {
    let process = Process()
    process.executableURL = try executable()
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    process.environment = BuiltExecutable.environment(extra)
    return process
  }

  static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws
    -> Outcome
  {
    let process = try process(arguments, environment: extra)
    // Files, not pipes: a chatty child can never block on a full pipe.
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("episode-run-output-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outputURL = scratch.appendingPathComponent("stdout")
    let errorURL = scratch.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    let output = try FileHandle(forWritingTo: outputURL)
    let error = try FileHandle(forWritingTo: errorURL)
    process.standardOutput = output
    process.standardError = error
    try process.run()
    process.waitUntilExit()
    try output.close()
    try error.close()
    return Outcome(
      status: process.terminationStatus,
      standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
      standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self),
      signalled: process.terminationReason == .uncaughtSignal)
  }

  /// A temporary data root with the sample episode's video (a symbolic link) and a fresh copy of
  /// the generator's oracle `detections.jsonl` and `tracks.jsonl` (from `ground_truth/`, so
  /// track ids match `identities_truth.json`), so a test can run stages and damage inputs freely.
  static func freshSample(episode: String = "sample-s01e01") throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    let source = repositoryRoot.appendingPathComponent("data")
    let manager = FileManager.default
    let videoFolder = root.appendingPathComponent("videos/\(episode)")
    try manager.createDirectory(at: videoFolder, withIntermediateDirectories: true)
    try manager.createSymbolicLink(
      at: videoFolder.appendingPathComponent("episode.mp4"),
      withDestinationURL: source.appendingPathComponent("videos/\(episode)/episode.mp4"))
    let manifests = root.appendingPathComponent("manifests/\(episode)")
    try manager.createDirectory(at: manifests, withIntermediateDirectories: true)
    try manager.copyItem(
      at: source.appendingPathComponent("ground_truth/\(episode)/detections.jsonl"),
      to: manifests.appendingPathComponent("detections.jsonl"))
    // tracks.jsonl without the sample_thumbs an earlier harvest may have added.
    let tracks = try String(
      contentsOf: source.appendingPathComponent("ground_truth/\(episode)/tracks.jsonl"),
      encoding: .utf8)
    var cleaned: [String] = []
    for line in tracks.split(separator: "\n") {
      var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      object["sample_thumbs"] = [String]()
      cleaned.append(
        String(
          decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
          as: UTF8.self))
    }
    try Data((cleaned.joined(separator: "\n") + "\n").utf8)
      .write(to: manifests.appendingPathComponent("tracks.jsonl"))
    return root
  }

  /// Ground truth: track id → identity label, written by the sample generator.
  static func trackIdentities(episode: String = "sample-s01e01") throws -> [String: String] {
    let url = repositoryRoot.appendingPathComponent(
      "data/ground_truth/\(episode)/identities_truth.json")
    return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: String]
  }

  /// A temporary data root holding the sample's oracle detections and tracks (as
  /// `freshSample`), so validation tests can damage them freely.
  static func copyOfSample(episode: String = "sample-s01e01") throws -> URL {
    try freshSample(episode: episode)
  }
}
