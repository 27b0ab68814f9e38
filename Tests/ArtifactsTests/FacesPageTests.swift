import Artifacts
import Foundation
import Testing

@Suite("Faces page without embeddings")
struct FacesPageTests {
  static func file(_ text: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("faces-page-\(UUID().uuidString).jsonl")
    try Data(text.utf8).write(to: url)
    return url
  }

  @Test("a skipped member is left out; the rest equals a full parse")
  func skipping() throws {
    let text = #"{"a": 1, "embedding": [0.5, -1e-3, {"x": "]}\"["}], "b": "c"}"#
    let skipped = try JSONValue.parse(Array(text.utf8), skippingMembers: ["embedding"])
    guard case .object(var full) = try JSONValue.parse(Array(text.utf8)) else {
      Issue.record("not an object")
      return
    }
    full["embedding"] = nil
    #expect(skipped == .object(full))
    // Only top-level members are skipped.
    let nested = #"{"row": {"embedding": [1]}}"#
    #expect(
      try JSONValue.parse(Array(nested.utf8), skippingMembers: ["embedding"])
        == JSONValue.parse(Array(nested.utf8)))
  }

  @Test(
    "a skipped value that never ends is still an error",
    arguments: [
      #"{"embedding": [0.5, 1"#, #"{"embedding": "abc"#, #"{"embedding": [[1], "#,
    ])
  func truncated(_ text: String) {
    #expect(throws: JSONSyntaxError.self) {
      try JSONValue.parse(Array(text.utf8), skippingMembers: ["embedding"])
    }
  }

  @Test("pages by track and offset, counts the filter's rows, names a damaged line")
  func paging() throws {
    var lines: [String] = []
    for index in 0..<7 {
      let track = index % 2 == 0 ? "track-00001" : "track-00002"
      lines.append(
        #"{"face_id": "f\#(index)", "track_id": "\#(track)", "embedding": [\#(index), 0.25]}"#)
    }
    let url = try Self.file(lines.joined(separator: "\n") + "\n")
    defer { try? FileManager.default.removeItem(at: url) }
    let page = try FacesPage.read(
      url, displayPath: "faces.jsonl", track: "track-00001", offset: 1, limit: 2)
    #expect(page.total == 4)
    #expect(page.rows.map { $0["face_id"]?.stringValue } == ["f2", "f4"])
    #expect(page.rows.allSatisfy { $0["embedding"] == nil })
    let all = try FacesPage.read(url, displayPath: "faces.jsonl", track: nil, offset: 5, limit: 10)
    #expect(all.total == 7 && all.rows.count == 2)

    let damaged = try Self.file(lines[0] + "\n" + #"{"face_id": "x", "embedding": [1, 2"# + "\n")
    defer { try? FileManager.default.removeItem(at: damaged) }
    #expect {
      try FacesPage.read(damaged, displayPath: "faces.jsonl", track: nil, offset: 0, limit: 10)
    } throws: { error in
      "\(error)".contains("faces.jsonl:2")
    }
  }
}
