import Foundation
import Testing

@testable import Artifacts

@Suite("JSONValue parser")
struct JSONValueTests {
  func parse(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Data(text.utf8))
  }

  func syntaxError(_ text: String) -> JSONSyntaxError? {
    do {
      _ = try parse(text)
      Issue.record("expected a syntax error for \(text)")
    } catch let error as JSONSyntaxError {
      return error
    } catch {
      Issue.record("unexpected \(error)")
    }
    return nil
  }

  @Test("parses every JSON type and keeps integer literals apart")
  func types() throws {
    let value = try parse(
      #" {"a": [1, -2, 3.0, 4e2, -0.5], "b": {"c": null, "d": true, "e": false}, "#
        + #""s": "x\"y\u00e9\ud83d\ude00\n/"} "#
    )
    #expect(
      value["a"] == .array([.integer(1), .integer(-2), .number(3), .number(400), .number(-0.5)]))
    #expect(value["b"]?["c"] == .null)
    #expect(value["b"]?["d"] == .bool(true))
    #expect(value["s"] == .string("x\"yé😀\n/"))
    #expect(try parse("99999999999999999999") == .number(1e20))
    #expect(try parse("[]") == .array([]))
    #expect(try parse("{}") == .object([:]))
  }

  @Test(
    "rejects what strict JSON rejects, naming the field",
    arguments: [
      ("NaN", "", "NaN is not a JSON number"),
      (#"{"a":[1,NaN]}"#, "a[1]", "NaN is not a JSON number"),
      (#"{"a":Infinity}"#, "a", "Infinity is not a JSON number"),
      (#"{"a":-Infinity}"#, "a", "-Infinity is not a JSON number"),
      (#"{"a":1e999}"#, "a", "out of range"),
      (#"{"a":-1e400}"#, "a", "out of range"),
      (#"{"a":01}"#, "a", "leading zeros"),
      (#"{"a":1.}"#, "a", "expected a digit after '.'"),
      (#"{"a":.5}"#, "a", "unexpected '.'"),
      (#"{"a":+1}"#, "a", "unexpected '+'"),
      (#"{"a":1,}"#, "", "expected an object key"),
      (#"[1,2,]"#, "[2]", "unexpected ']'"),
      (#"{"a":1}{"#, "", "after the JSON value"),
      (#"{"a":1,"a":2}"#, "a", "duplicate key 'a'"),
      (#"{"a":"x"#, "a", "truncated JSON"),
      (#"{"a":[1,2"#, "a", "truncated JSON"),
      (#"{"a":tru}"#, "a", "unexpected 'tru'"),
      ("{\"a\":\"tab\there\"}", "a", "control character"),
      (#"{"a":"\x"}"#, "a", "invalid escape"),
      (#"{"a":"\ud800"}"#, "a", "unpaired surrogate"),
      ("", "", "truncated JSON"),
    ])
  func rejects(text: String, field: String, reason: String) throws {
    let error = syntaxError(text)
    #expect(error.map { JSONPathComponent.render($0.path) } == field)
    #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
  }

  @Test("invalid UTF-8 inside a string is rejected")
  func invalidUTF8() throws {
    var bytes = Array(#"{"a":"x"#.utf8)
    bytes += [0xFF, 0x22, 0x7D]
    #expect(throws: JSONSyntaxError.self) { _ = try JSONValue.parse(bytes) }
  }

  @Test("nesting is bounded")
  func depth() throws {
    let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
    #expect(syntaxError(deep)?.reason.contains("nesting") == true)
    let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
    #expect(throws: Never.self) { _ = try parse(fine) }
  }

  @Test("compact text is sorted and shortened")
  func compactText() throws {
    let value = try parse(#"{"b":[1,2.5,"x"],"a":null}"#)
    #expect(value.compactText() == #"{"a":null,"b":[1,2.5,"x"]}"#)
    let long = JSONValue.array(Array(repeating: .number(0.123456), count: 100))
    let text = long.compactText(limit: 40)
    #expect(text.hasSuffix("…"))
    #expect(text.count <= 42)
  }

  @Test("Codable round trip through Foundation")
  func codable() throws {
    let value = try parse(#"{"a":[1,2.5,"x",true,null],"b":{"c":-3}}"#)
    let data = try JSONEncoder().encode(value)
    #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
  }
}
