public import Foundation

/// Whole-file writes that never leave a partial or damaged file behind, and single-document
/// JSON reads with errors that name the file and field. Several files that belong together are
/// replaced by an `ArtifactTransaction` instead.
public enum AtomicFile {
  /// Writes `data` to `url` atomically: a temporary file in the same directory (created with
  /// its parents if needed) is written, fsynced and renamed onto `url`, then the directory is
  /// fsynced. On any failure the temporary file is removed and an existing `url` is untouched.
  public static func write(_ data: Data, to url: URL, displayPath: String? = nil) throws {
    var file = try TemporaryFile.sealed(data, beside: url, displayPath: displayPath ?? url.path)
    do {
      try file.commit()
    } catch {
      file.discard()
      throw error
    }
  }

  /// Writes `value` as pretty-printed JSON with sorted keys (and a final newline), atomically.
  ///
  /// - Throws: `ArtifactError.nonFiniteValue` naming the field for a NaN or infinite number.
  public static func writeJSON<T: Encodable>(_ value: T, to url: URL, displayPath: String? = nil)
    throws
  {
    let name = displayPath ?? url.path
    try write(jsonData(value, displayPath: name), to: url, displayPath: name)
  }

  /// `value` as `writeJSON` writes it: pretty-printed JSON with sorted keys and a final newline.
  ///
  /// - Throws: `ArtifactError.nonFiniteValue` naming the field for a NaN or infinite number.
  public static func jsonData<T: Encodable>(_ value: T, displayPath: String) throws -> Data {
    var data = try ArtifactJSON.encode(
      value, with: ArtifactJSON.documentEncoder(), file: displayPath, line: nil)
    data.append(UInt8(ascii: "\n"))
    return data
  }

  /// Reads and decodes a single-document JSON artifact.
  ///
  /// - Throws: `ArtifactError.fileNotFound`, `.io`, or `.malformedDocument` naming the file and
  ///   the field (`identities[0].track_ids[1]: expected a string, found number 3`).
  public static func readJSON<T: Decodable>(
    _ type: T.Type, from url: URL, displayPath: String? = nil
  )
    throws -> T
  {
    let name = displayPath ?? url.path
    let data = try FileIO.readAll(url, displayPath: name)
    let value: JSONValue
    do {
      value = try JSONValue.parse(data)
    } catch let error as JSONSyntaxError {
      let field = JSONPathComponent.render(error.path)
      throw ArtifactError.malformedDocument(
        file: name, field: field.isEmpty ? nil : field,
        reason: "not valid JSON: \(error.reason) (byte \(error.offset + 1))")
    }
    do {
      return try JSONValueDecoder.decode(type, from: value)
    } catch let error as DecodingError {
      let (field, reason) = JSONValueDecoder.explain(error)
      throw ArtifactError.malformedDocument(file: name, field: field, reason: reason)
    }
  }
}
