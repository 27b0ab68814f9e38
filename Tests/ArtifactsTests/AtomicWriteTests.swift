import Foundation
import Testing

@testable import Artifacts

@Suite("Atomic writes: JSONLWriter and AtomicFile")
struct AtomicWriteTests {
  struct Boom: Error {}

  /// A destination holding `previous`, in its own folder so leftovers are visible.
  func existingDestination(_ directory: TemporaryDirectory, previous: String) throws -> URL {
    let url = directory.file("manifests/ep/faces.jsonl")
    try writeText(previous, to: url)
    return url
  }

  @Test("commit makes the rows visible and leaves no temporary file")
  func commit() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("deep/new/folder/tracks.jsonl")
    let writer = try JSONLWriter<Track>(destination: url)
    try writer.write(Samples.track(1, frames: 0...9))
    #expect(!FileManager.default.fileExists(atPath: url.path))
    try writer.write(contentsOf: [Samples.track(2, frames: 3...4)])
    #expect(writer.rowsWritten == 2)
    try writer.commit()
    #expect(
      try JSONLReader<Track>.readAll(from: url).map(\.trackID) == ["track-00001", "track-00002"])
    #expect(try directory.listing("deep/new/folder") == ["tracks.jsonl"])
    #expect(throws: ArtifactError.writerClosed(path: url.path)) {
      try writer.write(Samples.track(3, frames: 0...1))
    }
  }

  @Test("abort leaves the previous file byte-identical and removes the temporary file")
  func abort() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let previous = "previous contents\nline 2\n"
    let url = try existingDestination(directory, previous: previous)
    let writer = try JSONLWriter<Face>(destination: url)
    try writer.write(Samples.face(1, track: 1, frame: 1))
    #expect(try directory.listing("manifests/ep").count == 2)
    writer.abort()
    writer.abort()
    #expect(try Data(contentsOf: url) == Data(previous.utf8))
    #expect(try directory.listing("manifests/ep") == ["faces.jsonl"])
  }

  @Test("a writer dropped without commit (an error mid-way) leaves everything as it was")
  func throwMidway() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let previous = "{\"old\":true}\n"
    let url = try existingDestination(directory, previous: previous)

    func harvest() throws {
      let writer = try JSONLWriter<Face>(destination: url)
      for number in 1...2_000 {
        try writer.write(Samples.face(number, track: 1, frame: number, width: 64))
        if number == 1_500 { throw Boom() }
      }
      try writer.commit()
    }
    #expect(throws: Boom.self) { try harvest() }
    #expect(try Data(contentsOf: url) == Data(previous.utf8))
    #expect(try directory.listing("manifests/ep") == ["faces.jsonl"])
  }

  @Test("a NaN is refused naming the field; the writer stays usable")
  func nonFinite() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("faces.jsonl")
    let writer = try JSONLWriter<Face>(destination: url, displayPath: "manifests/x/faces.jsonl")
    try writer.write(Samples.face(1, track: 1, frame: 1))
    var bad = Samples.face(2, track: 1, frame: 2)
    bad.embedding[3] = .nan
    #expect(
      throws: ArtifactError.nonFiniteValue(
        file: "manifests/x/faces.jsonl", line: 2, field: "embedding[3]")
    ) { try writer.write(bad) }
    var infinite = Samples.face(3, track: 1, frame: 3)
    infinite.qualityScore = .infinity
    let error = artifactError { try writer.write(infinite) }
    #expect(
      error == .nonFiniteValue(file: "manifests/x/faces.jsonl", line: 2, field: "quality_score"))
    #expect(error?.description.contains("field 'quality_score'") == true)
    try writer.write(Samples.face(4, track: 1, frame: 4))
    try writer.commit()
    #expect(try JSONLReader<Face>.readAll(from: url).map(\.faceID) == ["face-00001", "face-00004"])
  }

  @Test("AtomicFile.write replaces a file, creating folders, leaving no temporary file")
  func atomicWrite() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("a/b/c.bin")
    try AtomicFile.write(Data([1, 2, 3]), to: url)
    try AtomicFile.write(Data([4, 5]), to: url)
    #expect(try Data(contentsOf: url) == Data([4, 5]))
    #expect(try directory.listing("a/b") == ["c.bin"])
  }

  @Test("a failed AtomicFile.write leaves the destination untouched and no temporary file")
  func atomicWriteFailure() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    // The destination is a non-empty folder: the final rename fails.
    let url = directory.file("out/identities.json")
    try writeText("keep", to: url.appendingPathComponent("inside.txt"))
    let error = artifactError { try AtomicFile.writeJSON(Samples.identities(), to: url) }
    guard case .io(let path, _)? = error else {
      Issue.record("expected an io error, got \(String(describing: error))")
      return
    }
    #expect(path == url.path)
    #expect(try directory.listing("out") == ["identities.json"])
    #expect(
      try String(contentsOf: url.appendingPathComponent("inside.txt"), encoding: .utf8) == "keep")
  }

  @Test("a NaN in a JSON document is refused before anything is written")
  func documentNonFinite() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("track_metrics.json")
    try AtomicFile.writeJSON(Samples.trackMetrics(), to: url)
    let before = try Data(contentsOf: url)
    var metrics = Samples.trackMetrics()
    metrics.analyzedFPS = .nan
    #expect(throws: ArtifactError.nonFiniteValue(file: url.path, line: nil, field: "analyzed_fps"))
    {
      try AtomicFile.writeJSON(metrics, to: url)
    }
    #expect(try Data(contentsOf: url) == before)
    #expect(try directory.listing() == ["track_metrics.json"])
  }

  @Test("writeJSON is pretty-printed with sorted keys and unescaped slashes")
  func prettyJSON() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("x.json")
    try AtomicFile.writeJSON(["b": "crops/a.jpg", "a": "x"], to: url)
    #expect(
      try String(contentsOf: url, encoding: .utf8)
        == "{\n  \"a\" : \"x\",\n  \"b\" : \"crops/a.jpg\"\n}\n")
  }

  @Test("readJSON names the file and field")
  func readJSONErrors() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("track_metrics.json")
    #expect(throws: ArtifactError.fileNotFound(path: "m/track_metrics.json")) {
      _ = try AtomicFile.readJSON(TrackMetrics.self, from: url, displayPath: "m/track_metrics.json")
    }
    try writeText("{\"ep_id\": \"x\", ", to: url)
    let truncated = artifactError {
      _ = try AtomicFile.readJSON(TrackMetrics.self, from: url, displayPath: "m/track_metrics.json")
    }
    #expect(
      truncated?.description.hasPrefix("m/track_metrics.json: not valid JSON: truncated") == true)

    let value = try JSONValue.parse(
      try ArtifactJSON.encode(
        Samples.trackMetrics(), with: ArtifactJSON.lineEncoder(), file: nil, line: nil))
    let damaged = value.replacing(parsePath("longest_tracks[1].length"), with: .string("long"))
    try writeText(try damaged.jsonText(), to: url)
    let error = artifactError {
      _ = try AtomicFile.readJSON(TrackMetrics.self, from: url, displayPath: "m/track_metrics.json")
    }
    #expect(
      error?.description
        == "m/track_metrics.json: field 'longest_tracks[1].length': "
        + "expected an integer, found string")
  }
}
