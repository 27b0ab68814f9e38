import Foundation
import Testing

@testable import Artifacts

@Suite("EpisodeID")
struct EpisodeIDTests {
  @Test(
    "valid ids are accepted unchanged",
    arguments: [
      "rhobh-s05e02", "sample-s01e01", "a", "0", "a.b_c-d",
      "x" + String(repeating: "9", count: 127),
    ])
  func valid(raw: String) throws {
    let id = try EpisodeID(raw)
    #expect(id.rawValue == raw)
    #expect(id.description == raw)
    #expect(EpisodeID.isValid(raw))
  }

  @Test(
    "unsafe or malformed ids are rejected",
    arguments: [
      ("../x", "must start"),
      ("x/../y", "character '/'"),
      ("a/b", "character '/'"),
      ("..", "must start"),
      ("A", "must start"),
      ("aB", "character 'B'"),
      ("-a", "must start"),
      (".hidden", "must start"),
      ("_a", "must start"),
      ("", "empty"),
      ("a..b", "'..'"),
      ("a b", "character ' '"),
      ("é", "must start"),
      ("ab\u{0}", "not allowed"),
      (String(repeating: "a", count: 129), "at most 128"),
    ])
  func invalid(raw: String, reasonFragment: String) throws {
    let error = artifactError { _ = try EpisodeID(raw) }
    guard case .invalidEpisodeID(let rejected, let reason)? = error else {
      Issue.record("expected invalidEpisodeID, got \(String(describing: error))")
      return
    }
    #expect(rejected == raw)
    #expect(reason.contains(reasonFragment), "\(reason)")
    #expect(error?.description.contains("ep_id") == true)
    #expect(!EpisodeID.isValid(raw))
  }

  @Test("128 characters is the limit")
  func lengthLimit() throws {
    #expect(EpisodeID.isValid(String(repeating: "a", count: 128)))
    #expect(!EpisodeID.isValid(String(repeating: "a", count: 129)))
  }

  @Test("decoding validates like the initialiser")
  func codable() throws {
    let decoded = try JSONDecoder().decode([EpisodeID].self, from: Data(#"["ok-1"]"#.utf8))
    #expect(decoded.map(\.rawValue) == ["ok-1"])
    #expect(throws: DecodingError.self) {
      _ = try JSONDecoder().decode([EpisodeID].self, from: Data(#"["../etc"]"#.utf8))
    }
    let encoded = try JSONEncoder().encode([try EpisodeID("ok-1")])
    #expect(String(decoding: encoded, as: UTF8.self) == #"["ok-1"]"#)
  }
}
