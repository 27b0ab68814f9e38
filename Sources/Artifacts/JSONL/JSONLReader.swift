public import Foundation

/// Streams the rows of a JSON Lines file, one decoded `Row` per line, without loading the file.
///
/// The file is read in 1 MiB chunks and split on `\n` (`\r\n` is accepted; a last line without
/// a newline is read if it is complete JSON). Any bad line stops the read with
/// `ArtifactError.malformedLine` naming the file, the 1-based line and the field:
/// an empty line, text that is not JSON (including `NaN`, `Infinity` and numbers that overflow),
/// a truncated last line, a missing required field or a value of the wrong type
/// (`manifests/x/faces.jsonl:12: field 'bbox[2]': expected a number, found string`).
///
/// ```swift
/// let reader = try JSONLReader<Track>(url: layout.tracks(episode), displayPath: "…")
/// try reader.forEachRow { line, track in … }
/// ```
public final class JSONLReader<Row: Decodable> {
  /// The file being read.
  public let url: URL
  /// How the file is named in errors (e.g. relative to the data root).
  public let displayPath: String
  private let lines: LineReader

  /// Opens `url`; `displayPath` names it in errors (default: its full path).
  ///
  /// - Throws: `ArtifactError.fileNotFound` or `.io`.
  public init(url: URL, displayPath: String? = nil) throws {
    self.url = url
    self.displayPath = displayPath ?? url.path
    lines = try LineReader(url: url, displayPath: self.displayPath)
  }

  /// The next row with its 1-based line number, or `nil` at the end of the file.
  ///
  /// - Throws: `ArtifactError.malformedLine` for a bad line, `.io` for a read error.
  public func next() throws -> (lineNumber: Int, row: Row)? {
    guard let line = try lines.next() else { return nil }
    let row = try Self.decode(
      line.bytes, file: displayPath, line: line.number, terminated: line.terminated)
    return (line.number, row)
  }

  /// Calls `body` with each remaining row and its 1-based line number, in file order.
  public func forEach(_ body: (_ lineNumber: Int, _ row: Row) throws -> Void) throws {
    while let item = try next() {
      try body(item.lineNumber, item.row)
    }
  }

  /// The same as `forEach(_:)`, under a name swift-format's `ReplaceForEachWithForLoop` rule
  /// does not mistake for `Sequence.forEach`.
  public func forEachRow(_ body: (_ lineNumber: Int, _ row: Row) throws -> Void) throws {
    try forEach(body)
  }

  /// All remaining rows, in file order.
  public func readAll() throws -> [Row] {
    var rows: [Row] = []
    while let item = try next() { rows.append(item.row) }
    return rows
  }

  /// All rows of the file at `url`.
  public static func readAll(from url: URL, displayPath: String? = nil) throws -> [Row] {
    try JSONLReader(url: url, displayPath: displayPath).readAll()
  }

  /// Decodes one line; shared with the single-document reader so both report alike.
  static func decode(_ bytes: ArraySlice<UInt8>, file: String, line: Int, terminated: Bool) throws
    -> Row
  {
    guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
      throw ArtifactError.malformedLine(
        file: file, line: line, field: nil,
        reason: "empty line (every line must hold one JSON object)")
    }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes)
    } catch let error as JSONSyntaxError {
      let field = JSONPathComponent.render(error.path)
      var reason = "not valid JSON: \(error.message)"
      if !terminated && error.truncated {
        reason = "truncated last line (no newline at end of file): \(error.message)"
      }
      throw ArtifactError.malformedLine(
        file: file, line: line, field: field.isEmpty ? nil : field, reason: reason)
    }
    do {
      return try JSONValueDecoder.decode(Row.self, from: value)
    } catch let error as DecodingError {
      let (field, reason) = JSONValueDecoder.explain(error)
      throw ArtifactError.malformedLine(file: file, line: line, field: field, reason: reason)
    }
  }
}
