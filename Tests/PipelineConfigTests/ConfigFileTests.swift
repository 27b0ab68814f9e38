import Foundation
import Testing

@testable import PipelineConfig

enum Mode: String, CaseIterable { case fast, slow }

@Suite("YAML config files")
struct ConfigFileTests {
  @Test("reads typed values")
  func typedValues() throws {
    let file = try ConfigFile(
      yaml: "count: 3\nratio: 0.25\nenabled: yes\nname: sface\nmode: slow\n", path: "c.yaml")
    #expect(try file.int("count", in: 0...10) == 3)
    #expect(try file.double("ratio", in: 0...1) == 0.25)
    #expect(try file.double("count", in: 0...10) == 3)
    #expect(try file.bool("enabled") == true)
    #expect(try file.string("name") == "sface")
    #expect(try file.choice("mode", as: Mode.self) == .slow)
    #expect(try file.int("absent", in: 0...1) == nil)
    #expect(file.keys == ["count", "ratio", "enabled", "name", "mode"])
  }

  @Test("an empty file is an empty mapping")
  func empty() throws {
    #expect(try ConfigFile(yaml: "# only a comment\n", path: "c.yaml").keys.isEmpty)
  }

  @Test(
    "bad values name the file, the line and the key",
    arguments: [
      ("a: 1\nb: x\n", "b", 2, "expected an integer"),
      ("a: 1\nb: 11\n", "b", 2, "outside"),
      ("a: 1\n\nb: .nan\n", "b", 3, "expected a number"),
      ("b: [1, 2]\n", "b", 1, "single value"),
    ])
  func badValues(yaml: String, key: String, line: Int, message: String) throws {
    do {
      let file = try ConfigFile(yaml: yaml, path: "conf.yaml")
      if message.contains("number") {
        _ = try file.double(key, in: 0...10)
      } else {
        _ = try file.int(key, in: 0...10)
      }
      Issue.record("expected an error")
    } catch let error as ConfigError {
      #expect(error.file == "conf.yaml")
      #expect(error.line == line)
      #expect(error.key == key)
      #expect(error.description.contains(message), "\(error)")
      #expect(error.description.hasPrefix("conf.yaml:\(line): \(key):"))
    }
  }

  @Test("a duplicated key is an error naming it")
  func duplicateKey() {
    #expect {
      try ConfigFile(yaml: "a: 1\nb: 2\na: 3\n", path: "conf.yaml")
    } throws: { error in
      "\(error)".hasPrefix("conf.yaml") && "\(error)".contains("'a'")
    }
  }

  @Test("an unknown key is an error naming it and its line")
  func unknownKey() throws {
    let file = try ConfigFile(yaml: "min_quality: 0.5\nmin_qualty: 0.9\n", path: "h.yaml")
    #expect {
      try file.rejectUnknownKeys(["min_quality"])
    } throws: { error in
      (error as? ConfigError)?.line == 2 && "\(error)".contains("min_qualty")
    }
  }

  @Test("invalid YAML and a non-mapping document are errors")
  func invalidYAML() throws {
    #expect(throws: ConfigError.self) { try ConfigFile(yaml: "a: [1, 2\n", path: "x.yaml") }
    #expect(throws: ConfigError.self) { try ConfigFile(yaml: "- 1\n- 2\n", path: "x.yaml") }
    #expect(throws: ConfigError.self) {
      try ConfigFile(yaml: "mode: medium\n", path: "x.yaml").choice("mode", as: Mode.self)
    }
    #expect(throws: ConfigError.self) {
      try ConfigFile(yaml: "on: maybe\n", path: "x.yaml").bool("on")
    }
    #expect(throws: ConfigError.self) {
      try ConfigFile(url: URL(fileURLWithPath: "/nonexistent/c.yaml"))
    }
  }
}
