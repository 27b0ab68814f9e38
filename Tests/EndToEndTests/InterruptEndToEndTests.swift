import Foundation
import Testing

/// SIGINT/SIGTERM to `episode-run` stop the stage at its next batch: it removes its staging,
/// leaves the previous artifacts byte for byte and exits 128 + the signal (docs/configuration.md).
@Suite("Interrupting episode-run")
struct InterruptEndToEndTests {
  /// Every file under `folder` (relative path → contents), hidden ones included.
  static func snapshot(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(
      at: folder, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = enumerator?.nextObject() as? URL {
      guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else {
        continue
      }
      files[String(url.path.dropFirst(folder.path.count))] = try Data(contentsOf: url)
    }
    return files
  }

  /// Starts `episode-run` with `arguments`, reads its standard error until a progress line
  /// shows the stage is under way, sends `signal`, and returns the exit status and the
  /// standard error.
  static func interrupt(_ arguments: [String], with signal: Int32) throws -> (Int32, String) {
    let process = try EpisodeRunProcess.process(arguments)
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    var text = ""
    // Blocking reads: no sleeping, the progress line itself is the cue.
    while !text.contains("[progress]") {
      let chunk = errors.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    kill(process.processIdentifier, signal)
    text += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }

  @Test(
    "SIGTERM or SIGINT mid-harvest: exit 128+signal, no staging left, earlier faces and crops intact",
    arguments: [SIGTERM, SIGINT])
  func harvestInterrupted(signal: Int32) throws {
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let common = ["--ep-id", "sample-s01e01", "--data-root", root.path, "--faces-embed"]
    let first = try EpisodeRunProcess.run(common + ["--save-crops"])
    #expect(first.status == 0, "\(first.combined)")
    let before = try Self.snapshot(root)
    #expect(before.keys.contains { $0.hasSuffix("/faces.jsonl") })
    #expect(before.keys.contains { $0.contains("/crops/") })

    let (status, errors) = try Self.interrupt(
      common + ["--save-crops", "--max-crops-per-track", "2"], with: signal)
    #expect(status == 128 + signal, "\(errors)")
    #expect(errors.contains("interrupted"))
    #expect(errors.contains("previous artifacts are untouched"))
    let after = try Self.snapshot(root)
    #expect(after.keys.sorted() == before.keys.sorted())
    #expect(after == before)
  }
}
