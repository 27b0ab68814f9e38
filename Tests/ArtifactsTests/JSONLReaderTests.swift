import Foundation
import Testing

@testable import Artifacts

@Suite("JSONLReader")
struct JSONLReaderTests {
  static let goodDetection =
    #"{"ep_id":"e","frame_idx":1,"ts_s":0.5,"bbox":[0.1,0.2,0.3,0.4],"#
    + #""landmarks":[0,0,0,0,0,0,0,0,0,0],"conf":0.9,"model_id":"m","schema_version":"det_v1"}"#

  /// Writes `lines` joined by `\n` (plus `trailer`) and reads them as detections, returning the
  /// error.
  func readError(_ lines: [String], trailer: String = "\n") throws -> ArtifactError? {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("detections.jsonl")
    try writeText(lines.joined(separator: "\n") + trailer, to: url)
    return artifactError {
      _ = try JSONLReader<Detection>.readAll(from: url, displayPath: "manifests/x/detections.jsonl")
    }
  }

  /// `goodDetection` with `old` replaced by `new`.
  static func damaged(_ old: String, _ new: String) -> String {
    goodDetection.replacingOccurrences(of: old, with: new)
  }

  @Test("reads rows with 1-based line numbers, CRLF and a last line without newline")
  func readsRows() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("d.jsonl")
    let second = Self.damaged(#""frame_idx":1"#, #""frame_idx":2"#)
    try writeText(Self.goodDetection + "\r\n" + second, to: url)
    let reader = try JSONLReader<Detection>(url: url)
    var seen: [(Int, Int)] = []
    func collect(_ line: Int, _ row: Detection) { seen.append((line, row.frameIndex)) }
    try reader.forEach(collect)
    #expect(seen.map(\.0) == [1, 2])
    #expect(seen.map(\.1) == [1, 2])
    #expect(try reader.next() == nil)
  }

  @Test("an empty file has no rows")
  func emptyFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("empty.jsonl")
    try writeText("", to: url)
    #expect(try JSONLReader<Detection>.readAll(from: url).isEmpty)
  }

  @Test("a missing file is fileNotFound naming it")
  func missingFile() throws {
    let error = artifactError {
      _ = try JSONLReader<Detection>(
        url: URL(fileURLWithPath: "/nonexistent/faceharvest/x.jsonl"),
        displayPath: "manifests/x/x.jsonl")
    }
    #expect(error == .fileNotFound(path: "manifests/x/x.jsonl"))
    #expect(error?.description == "manifests/x/x.jsonl: no such file")
  }

  @Test(
    "bad lines name the line and field",
    arguments: [
      // (lines, expected line, expected field, reason fragment)
      ([goodDetection, "", goodDetection], 2, nil, "empty line"),
      ([goodDetection, "   ", goodDetection], 2, nil, "empty line"),
      ([goodDetection, "hello"], 2, nil, "not valid JSON"),
      ([goodDetection, goodDetection, "[1,2]"], 3, nil, "expected an object, found array"),
      (
        [damaged(#""frame_idx":1"#, #""frame_idx":"x""#)], 1, "frame_idx",
        "expected an integer, found string"
      ),
      (
        [damaged(#""frame_idx":1"#, #""frame_idx":1.5"#)], 1, "frame_idx",
        "expected an integer, found number 1.5"
      ),
      (
        [damaged(#""frame_idx":1"#, #""frame_idx":null"#)], 1, "frame_idx",
        "expected an integer, found null"
      ),
      ([goodDetection, damaged(#""conf":0.9,"#, "")], 2, "conf", "missing required field"),
      ([damaged("[0.1,0.2,", "[0.1,NaN,")], 1, "bbox[1]", "NaN is not a JSON number"),
      ([damaged(#""conf":0.9"#, #""conf":Infinity"#)], 1, "conf", "Infinity is not a JSON number"),
      (
        [damaged(#""conf":0.9"#, #""conf":-Infinity"#)], 1, "conf", "-Infinity is not a JSON number"
      ),
      ([damaged(#""ts_s":0.5"#, #""ts_s":1e999"#)], 1, "ts_s", "out of range"),
      (
        [damaged("[0.1,0.2,0.3,0.4]", #""0.1,0.2,0.3,0.4""#)], 1, "bbox",
        "expected an array, found string"
      ),
      ([damaged("0.3,0.4]", #""0.3",0.4]"#)], 1, "bbox[2]", "expected a number, found string"),
      (
        [damaged(#""model_id":"m""#, #""model_id":7"#)], 1, "model_id",
        "expected a string, found number 7"
      ),
      (
        [goodDetection, #"{"ep_id":"e","frame_idx":1,"ts_s":0.5,"ep_id":"f"}"#], 2, "ep_id",
        "duplicate key"
      ),
      ([goodDetection, String(goodDetection.dropLast(28))], 2, "model_id", "truncated JSON"),
    ] as [([String], Int, String?, String)])
  func badLine(lines: [String], line: Int, field: String?, reason: String) throws {
    let error = try readError(lines)
    guard case .malformedLine(let file, let actualLine, let actualField, let actualReason)? = error
    else {
      Issue.record("expected malformedLine, got \(String(describing: error))")
      return
    }
    #expect(file == "manifests/x/detections.jsonl")
    #expect(actualLine == line)
    #expect(actualField == field)
    #expect(actualReason.contains(reason), "\(actualReason)")
  }

  @Test("the message reads file:line: field 'path': reason")
  func messageFormat() throws {
    var lines = Array(repeating: Self.goodDetection, count: 12)
    lines[11] = Self.damaged("0.3,0.4]", #""0.3",0.4]"#)
    let error = try readError(lines)
    #expect(
      error?.description
        == "manifests/x/detections.jsonl:12: field 'bbox[2]': expected a number, found string")
    #expect(error?.errorDescription == error?.description)
  }

  @Test("a line longer than the limit (16 MiB) is an error naming file and line, read no further")
  func overlongLine() throws {
    let huge = #"{"ep_id":""# + String(repeating: "x", count: 17 << 20) + #""}"#
    let error = try readError([Self.goodDetection, huge, Self.goodDetection])
    #expect(
      error?.description
        == "manifests/x/detections.jsonl:2: line longer than 16777216 bytes "
        + "(FACEHARVEST_MAX_LINE_BYTES)")
  }

  @Test("a truncated last line without newline is an error naming the truncation")
  func truncatedLastLine() throws {
    let error = try readError(
      [Self.goodDetection, String(Self.goodDetection.prefix(40))], trailer: "")
    guard case .malformedLine(_, let line, _, let reason)? = error else {
      Issue.record("expected malformedLine, got \(String(describing: error))")
      return
    }
    #expect(line == 2)
    #expect(reason.contains("truncated last line"), "\(reason)")
  }

  @Test("float32 fields reject numbers beyond Float range")
  func floatOverflow() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("faces.jsonl")
    let line =
      #"{"face_id":"face-00001","track_id":"track-00001","frame_idx":3,"bbox":[0,0,1,1],"#
      + #""landmarks":[0,0,0,0,0,0,0,0,0,0],"embedding":[1,1e39],"quality_score":1}"#
    try writeText(line + "\n", to: url)
    let error = artifactError {
      _ = try JSONLReader<Face>.readAll(from: url, displayPath: "f.jsonl")
    }
    #expect(
      error
        == .malformedLine(
          file: "f.jsonl", line: 1, field: "embedding[1]",
          reason: "number 1e+39 is out of range for a 32-bit float"))
  }

  @Test("lines spanning the 1 MiB read chunks are split correctly")
  func chunkBoundaries() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("faces.jsonl")
    let rows = (1...700).map { Samples.face($0, track: 1, frame: $0, width: 256) }
    try JSONLWriter.write(rows, to: url)
    let size = try #require(
      try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
    #expect(size > 2 * LineReader.chunkSize)
    let reader = try JSONLReader<Face>(url: url)
    var count = 0
    try reader.forEachRow { line, face in
      count += 1
      #expect(line == count)
      #expect(face == rows[line - 1])
    }
    #expect(count == rows.count)
  }
}
