public import Foundation

/// Writes a JSON Lines artifact atomically: rows go to a temporary file beside the destination,
/// and only `commit()` (flush, fsync, rename, fsync the directory) makes them visible, or
/// `stage(in:)` hands the file to an `ArtifactTransaction` that commits it with others.
///
/// Dropping the writer or calling `abort()` without committing removes the temporary file and
/// leaves any existing destination byte-for-byte untouched, so a failed run never leaves a
/// partial artifact. Each row is one line of compact JSON with sorted keys and unescaped
/// slashes; `Float` values print in their shortest round-tripping form. A NaN or infinite
/// number is refused with `ArtifactError.nonFiniteValue` naming the field (the row is not
/// written and the writer stays usable).
public final class JSONLWriter<Row: Encodable> {
  /// The artifact's final location.
  public let destination: URL
  /// How the file is named in errors.
  public let displayPath: String
  /// Rows written so far.
  public private(set) var rowsWritten = 0

  private static var flushThreshold: Int { 1 << 20 }
  private var file: TemporaryFile?
  private var buffer = Data()
  private let encoder = ArtifactJSON.lineEncoder()

  /// Starts writing `destination` (creating its directory); `displayPath` names it in errors.
  public init(destination: URL, displayPath: String? = nil) throws {
    self.destination = destination
    self.displayPath = displayPath ?? destination.path
    file = try TemporaryFile(beside: destination, displayPath: self.displayPath)
    buffer.reserveCapacity(Self.flushThreshold + 64 * 1024)
  }

  deinit {
    abort()
  }

  /// Appends one row as one line.
  ///
  /// - Throws: `ArtifactError.nonFiniteValue` / `.encodingFailed` (nothing written),
  ///   `.writerClosed` after `commit()`/`abort()`, `.io` on a write error.
  public func write(_ row: Row) throws {
    guard file != nil else { throw ArtifactError.writerClosed(path: displayPath) }
    let data = try ArtifactJSON.encode(
      row, with: encoder, file: displayPath, line: rowsWritten + 1)
    buffer.append(data)
    buffer.append(UInt8(ascii: "\n"))
    rowsWritten += 1
    if buffer.count >= Self.flushThreshold { try flush() }
  }

  /// Appends every row of `rows`, in order.
  public func write<Rows: Sequence<Row>>(contentsOf rows: Rows) throws {
    for row in rows { try write(row) }
  }

  /// Flushes, fsyncs and renames the file onto the destination, then fsyncs the directory.
  /// After this the writer accepts no more rows.
  public func commit() throws {
    guard var file else { throw ArtifactError.writerClosed(path: displayPath) }
    do {
      try flush()
      try file.commit()
      self.file = nil
    } catch {
      file.discard()
      self.file = nil
      throw error
    }
  }

  /// Flushes and fsyncs the file and hands it to `transaction`, which renames it onto the
  /// destination when it commits (with the rest of its artifacts). After this the writer
  /// accepts no more rows; on a throw the file is removed.
  public func stage(in transaction: ArtifactTransaction) throws {
    guard var file else { throw ArtifactError.writerClosed(path: displayPath) }
    do {
      try flush()
      try file.seal()
      try transaction.adopt(file)
      self.file = nil
    } catch {
      file.discard()
      self.file = nil
      throw error
    }
  }

  /// Discards everything written; the destination is untouched. Safe to call more than once.
  public func abort() {
    guard var file else { return }
    file.discard()
    self.file = nil
    buffer.removeAll()
  }

  /// Writes `rows` to a temporary file beside `destination` and stages it in `transaction`
  /// (errors name the file relative to `layout`'s root).
  public static func stage<Rows: Sequence<Row>>(
    _ rows: Rows, at destination: URL, layout: DataLayout, in transaction: ArtifactTransaction
  ) throws {
    let writer = try JSONLWriter(
      destination: destination, displayPath: layout.relativePath(destination))
    defer { writer.abort() }
    try writer.write(contentsOf: rows)
    try writer.stage(in: transaction)
  }

  /// Writes `rows` to `destination` and commits, all or nothing.
  public static func write<Rows: Sequence<Row>>(
    _ rows: Rows, to destination: URL, displayPath: String? = nil
  ) throws {
    let writer = try JSONLWriter(destination: destination, displayPath: displayPath)
    try writer.write(contentsOf: rows)
    try writer.commit()
  }

  private func flush() throws {
    guard let file, !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try file.write($0) }
    buffer.removeAll(keepingCapacity: true)
  }
}

/// The JSON conventions shared by every artifact writer.
enum ArtifactJSON {
  /// Compact, sorted keys, unescaped slashes: one deterministic line per row.
  static func lineEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// Pretty-printed, sorted keys, unescaped slashes: single-document artifacts.
  static func documentEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// Encodes `value`, turning `EncodingError` into `ArtifactError` naming file, line and field.
  static func encode<T: Encodable>(_ value: T, with encoder: JSONEncoder, file: String?, line: Int?)
    throws -> Data
  {
    do {
      return try encoder.encode(value)
    } catch let EncodingError.invalidValue(offending, context) {
      let field = JSONPathComponent.render(codingPath: context.codingPath)
      if let double = offending as? Double, !double.isFinite {
        throw ArtifactError.nonFiniteValue(file: file, line: line, field: field)
      }
      if let float = offending as? Float, !float.isFinite {
        throw ArtifactError.nonFiniteValue(file: file, line: line, field: field)
      }
      throw ArtifactError.encodingFailed(
        file: file, line: line, field: field.isEmpty ? nil : field,
        reason: context.debugDescription)
    } catch {
      throw ArtifactError.encodingFailed(
        file: file, line: line, field: nil, reason: "\(error)")
    }
  }
}
