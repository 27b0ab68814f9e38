public import Foundation

/// One page of `faces.jsonl` rows without their embeddings (`faces.npy` holds them), read by
/// streaming the file and skipping each row's `embedding` unparsed: what the server's
/// `GET /episodes/{ep_id}/faces` answers.
public enum FacesPage {
  /// The rows of `track` (every track when nil) from index `offset`, at most `limit` of them,
  /// and how many rows the filter matches in all.
  ///
  /// - Throws: `ArtifactError.malformedLine` naming the file and line of a damaged row.
  public static func read(
    _ url: URL, displayPath: String, track: String?, offset: Int, limit: Int
  ) throws -> (total: Int, rows: [JSONValue]) {
    let lines = try LineReader(url: url, displayPath: displayPath)
    var rows: [JSONValue] = []
    var total = 0
    while let line = try lines.next() {
      let row = try parse(line, displayPath: displayPath)
      guard case .object(let fields) = row else {
        throw ArtifactError.malformedLine(
          file: displayPath, line: line.number, field: nil,
          reason: "expected a JSON object, found \(row.typeName)")
      }
      if let track, fields["track_id"]?.stringValue != track { continue }
      total += 1
      if total > offset && rows.count < limit { rows.append(row) }
    }
    return (total, rows)
  }

  private static func parse(_ line: LineReader.Line, displayPath: String) throws -> JSONValue {
    do {
      return try JSONValue.parse(line.bytes, skippingMembers: ["embedding"])
    } catch let error as JSONSyntaxError {
      let field = JSONPathComponent.render(error.path)
      throw ArtifactError.malformedLine(
        file: displayPath, line: line.number, field: field.isEmpty ? nil : field,
        reason: "not valid JSON: \(error.message)")
    }
  }
}
