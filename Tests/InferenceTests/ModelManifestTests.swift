import FaceHarvestCore
import Foundation
import Testing

@testable import Inference

@Suite("Model manifest")
struct ModelManifestTests {
  @Test("the set-up manifest lists the three bundled models with their contracts")
  func setUpManifest() throws {
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    let sface = try manifest.entry(named: "sface")
    #expect(sface.role == .embedder)
    #expect(sface.outputWidth == 128)
    #expect(sface.inputWidth == 112 && sface.inputHeight == 112)
    #expect(sface.colourOrder == .rgb)
    #expect(sface.mean == [0, 0, 0] && sface.std == [1, 1, 1])
    let yunet = try manifest.entry(named: "yunet")
    #expect(yunet.role == .detector && yunet.colourOrder == .bgr)
    let scrfd = try manifest.entry(named: "scrfd")
    #expect(scrfd.licence?.contains("non-commercial") == true)
    #expect(try manifest.first(role: .embedder).name == "sface")
    for entry in manifest.models {
      #expect(try manifest.verifiedFileURL(for: entry).lastPathComponent == entry.file)
    }
    #expect(throws: ModelManifestError.self) { try manifest.entry(named: "arcface_r100_v1") }
  }

  static func writeManifest(_ json: String) throws -> URL {
    let directory = try TestEnvironment.temporaryDirectory()
    let url = directory.appendingPathComponent("manifest.json")
    try Data(json.utf8).write(to: url)
    return url
  }

  static let validEntry = """
    {"name": "tiny", "role": "embedder", "family": "arcface", "file": "tiny.onnx",
     "sha256": "\(String(repeating: "a", count: 64))", "input_width": 112, "input_height": 112,
     "colour_order": "RGB", "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5],
     "output_width": 512}
    """

  @Test(
    "malformed manifests are errors that name the problem",
    arguments: [
      ("{\"models\": []}", "schema_version"),
      ("{\"schema_version\": \"model_manifest_v1\", \"models\": [{\"name\": \"x\"}]}", "role"),
      (
        "{\"schema_version\": \"model_manifest_v1\", \"models\": [\(validEntry.replacingOccurrences(of: "\"output_width\": 512", with: "\"output_width\": \"wide\""))]}",
        "output_width"
      ),
      (
        "{\"schema_version\": \"model_manifest_v1\", \"models\": [\(validEntry.replacingOccurrences(of: "\"output_width\": 512", with: "\"output_width\": 0"))]}",
        "output_width"
      ),
      (
        "{\"schema_version\": \"model_manifest_v1\", \"models\": [\(validEntry.replacingOccurrences(of: "\"std\": [127.5, 127.5, 127.5]", with: "\"std\": [127.5, 0, 127.5]"))]}",
        "std"
      ),
      (
        "{\"schema_version\": \"model_manifest_v1\", \"models\": [\(validEntry), \(validEntry)]}",
        "duplicate"
      ),
      ("{\"schema_version\": \"v0\", \"models\": []}", "model_manifest_v1"),
      ("not json", "manifest"),
    ])
  func malformed(json: String, mentions: String) throws {
    let url = try Self.writeManifest(json)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    #expect {
      try ModelManifest.load(from: url)
    } throws: { error in
      let text = "\(error)"
      return text.contains(mentions) && text.contains(url.path)
    }
  }

  @Test("a model file whose SHA-256 differs from the manifest is refused")
  func checksumMismatch() throws {
    let directory = try TestEnvironment.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let original = try ModelManifest.load(from: TestEnvironment.manifestURL)
    let yunet = try original.entry(named: "yunet")
    var bytes = try Data(contentsOf: original.fileURL(for: yunet))
    bytes[bytes.count / 2] ^= 0xFF
    try bytes.write(to: directory.appendingPathComponent("yunet.onnx"))
    let json = try String(contentsOf: TestEnvironment.manifestURL, encoding: .utf8)
    try Data(json.utf8).write(to: directory.appendingPathComponent("manifest.json"))
    let copy = try ModelManifest.load(from: directory.appendingPathComponent("manifest.json"))
    #expect {
      try copy.verifiedFileURL(for: yunet)
    } throws: { error in
      guard case InferenceError.checksumMismatch = error else { return false }
      return "\(error)".contains("yunet.onnx")
    }
    #expect(throws: InferenceError.self) {
      try copy.verifiedFileURL(for: try copy.entry(named: "sface"))
    }
  }

  @Test("SHA-256 of a known byte string")
  func sha256Known() throws {
    let directory = try TestEnvironment.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("abc")
    try Data("abc".utf8).write(to: file)
    #expect(
      try ModelManifest.sha256(of: file)
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }
}
