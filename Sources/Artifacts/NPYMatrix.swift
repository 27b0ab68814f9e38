public import Foundation

/// A 2-D little-endian float32 matrix in NumPy's `.npy` format (`faces.npy`,
/// `track_embeddings.npy`), stored row-major.
///
/// Writes format 1.0 with the header `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }`
/// padded with spaces and a final `\n` so the data starts at a multiple of 64 bytes, exactly as
/// `np.save` does. Reads formats 1.0 and 2.0 and refuses anything that is not a C-ordered 2-D
/// `<f4` array of the exact file size.
public struct NPYMatrix: Hashable, Sendable {
  /// Number of rows (N); may be 0.
  public let rows: Int
  /// Number of columns (D).
  public let columns: Int
  /// `rows × columns` values, row-major.
  public let values: [Float]

  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
  static let alignment = 64

  /// A matrix of the given shape.
  ///
  /// - Throws: `ArtifactError.invalidMatrix` when a dimension is negative or
  ///   `values.count != rows * columns`.
  public init(rows: Int, columns: Int, values: [Float]) throws {
    guard rows >= 0, columns >= 0 else {
      throw ArtifactError.invalidMatrix(reason: "negative shape (\(rows), \(columns))")
    }
    let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
    guard !overflow, count == values.count else {
      throw ArtifactError.invalidMatrix(
        reason: "shape (\(rows), \(columns)) needs \(rows) × \(columns) values, "
          + "got \(values.count)"
      )
    }
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// A matrix from row vectors, which must all have `columns` values (default: the first row's
  /// count; pass it for an empty matrix to keep its width).
  public init(rowVectors: [[Float]], columns: Int? = nil) throws {
    let width = columns ?? rowVectors.first?.count ?? 0
    var values: [Float] = []
    values.reserveCapacity(rowVectors.count * width)
    for (index, row) in rowVectors.enumerated() {
      guard row.count == width else {
        throw ArtifactError.invalidMatrix(
          reason: "row \(index) has \(row.count) values, expected \(width)")
      }
      values.append(contentsOf: row)
    }
    try self.init(rows: rowVectors.count, columns: width, values: values)
  }

  /// Row `index` (0-based) as a slice of `values`.
  public func row(_ index: Int) -> ArraySlice<Float> {
    values[(index * columns)..<((index + 1) * columns)]
  }

  // MARK: Writing

  /// The header dictionary, padded so that `10 + header length` is a multiple of 64.
  static func header(rows: Int, columns: Int) -> [UInt8] {
    let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    let unpadded = magic.count + 4 + dictionary.utf8.count + 1
    let padding = (alignment - unpadded % alignment) % alignment
    return Array(dictionary.utf8) + Array(repeating: UInt8(ascii: " "), count: padding) + [0x0A]
  }

  /// The complete `.npy` file contents (format 1.0).
  public func encoded() -> Data {
    let header = Self.header(rows: rows, columns: columns)
    var data = Data(capacity: 10 + header.count + values.count * 4)
    data.append(contentsOf: Self.magic)
    data.append(contentsOf: [1, 0])
    let length = UInt16(header.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: header)
    #if _endian(little)
      values.withUnsafeBytes { data.append(contentsOf: $0) }
    #else
      for value in values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
      }
    #endif
    return data
  }

  /// Writes the matrix to `url` atomically (see `AtomicFile.write`).
  public func write(to url: URL, displayPath: String? = nil) throws {
    try AtomicFile.write(encoded(), to: url, displayPath: displayPath ?? url.path)
  }

  // MARK: Reading

  /// Reads a `.npy` file.
  ///
  /// - Throws: `ArtifactError.fileNotFound`, `.io`, or `.npy` naming the file and what is wrong
  ///   (bad magic, unsupported version, a dtype other than `<f4`, Fortran order, a shape that is
  ///   not 2-D, or a data size that does not match the shape).
  public static func read(from url: URL, displayPath: String? = nil) throws -> NPYMatrix {
    let name = displayPath ?? url.path
    return try decode(FileIO.readAll(url, displayPath: name), path: name)
  }

  /// Parses the contents of a `.npy` file; `path` names it in errors.
  public static func decode(_ data: Data, path: String) throws -> NPYMatrix {
    let bytes = [UInt8](data)
    func fail(_ reason: String) -> ArtifactError { .npy(path: path, reason: reason) }

    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw fail("not a NumPy .npy file (bad magic, expected \\x93NUMPY)")
    }
    let major = bytes[6]
    let minor = bytes[7]
    let headerStart: Int
    let headerLength: Int
    switch (major, minor) {
    case (1, 0):
      headerStart = 10
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    case (2, 0):
      guard bytes.count >= 12 else { throw fail("truncated header") }
      headerStart = 12
      headerLength =
        Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
    default:
      throw fail("unsupported .npy format version \(major).\(minor) (1.0 and 2.0 are read)")
    }
    let dataStart = headerStart + headerLength
    guard dataStart <= bytes.count else {
      throw fail("truncated header (\(headerLength) bytes announced, file has \(bytes.count))")
    }
    guard let text = String(validating: bytes[headerStart..<dataStart], as: UTF8.self) else {
      throw fail("header is not text")
    }
    let shape = try matrixShape(header: text, fail: fail)
    let (rows, columns) = (shape[0], shape[1])
    let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
    let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: 4)
    guard !overflow, !byteOverflow else { throw fail("shape (\(rows), \(columns)) is too large") }
    let actual = bytes.count - dataStart
    guard actual == byteCount else {
      throw fail(
        "data is \(actual) bytes; shape (\(rows), \(columns)) of float32 needs exactly \(byteCount)"
          + (actual < byteCount ? " (truncated file)" : " (trailing bytes)"))
    }
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { destination in
      bytes.withUnsafeBytes { source in
        destination.copyMemory(
          from: UnsafeRawBufferPointer(rebasing: source[dataStart..<(dataStart + byteCount)]))
      }
    }
    #if !_endian(little)
      values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    #endif
    return try NPYMatrix(rows: rows, columns: columns, values: values)
  }
}

extension NPYMatrix {
  /// The `(rows, columns)` of a header that describes a C-ordered little-endian float32 2-D
  /// matrix; anything else is `fail`'s error.
  static func matrixShape(header text: String, fail: (String) -> ArtifactError) throws -> [Int] {
    let header: [String: NPYHeaderValue]
    do {
      var parser = NPYHeaderParser(text)
      header = try parser.parseDictionary()
    } catch let error as NPYHeaderParser.Failure {
      throw fail(
        "unreadable header (\(error.reason)): "
          + text.trimmingCharacters(in: .whitespacesAndNewlines)
      )
    }
    guard case .string(let descr)? = header["descr"] else {
      throw fail("header has no 'descr' string")
    }
    guard descr == "<f4" else {
      throw fail("dtype '\(descr)' is not supported; expected '<f4' (little-endian float32)")
    }
    guard case .bool(let fortranOrder)? = header["fortran_order"] else {
      throw fail("header has no 'fortran_order' boolean")
    }
    guard !fortranOrder else { throw fail("fortran_order is True; expected C (row-major) order") }
    guard case .tuple(let shape)? = header["shape"] else {
      throw fail("header has no 'shape' tuple")
    }
    guard shape.count == 2 else {
      let rendered =
        "(" + shape.map(String.init).joined(separator: ", ")
        + (shape.count == 1 ? ",)" : ")")
      throw fail("shape \(rendered) is \(shape.count)-D; expected a 2-D (rows, columns) matrix")
    }
    return shape
  }
}

/// A value in an `.npy` header dictionary (a small subset of Python literals).
enum NPYHeaderValue: Equatable {
  case string(String)
  case bool(Bool)
  case tuple([Int])
}

/// Parses the Python dict literal of an `.npy` header: string keys; string, `True`/`False` and
/// integer-tuple values; trailing commas allowed.
struct NPYHeaderParser {
  struct Failure: Error { var reason: String }

  private let characters: [Character]
  private var position = 0

  init(_ text: String) {
    characters = Array(text)
  }

  mutating func parseDictionary() throws -> [String: NPYHeaderValue] {
    skipSpaces()
    try expect("{")
    var result: [String: NPYHeaderValue] = [:]
    while true {
      skipSpaces()
      if peek() == "}" {
        position += 1
        break
      }
      let key = try parseString()
      skipSpaces()
      try expect(":")
      skipSpaces()
      result[key] = try parseValue()
      skipSpaces()
      if peek() == "," {
        position += 1
      } else if peek() != "}" {
        throw Failure(reason: "expected ',' or '}'")
      }
    }
    skipSpaces()
    guard position == characters.count else { throw Failure(reason: "text after the dictionary") }
    return result
  }

  private mutating func parseValue() throws -> NPYHeaderValue {
    switch peek() {
    case "'", "\"": return .string(try parseString())
    case "(": return .tuple(try parseTuple())
    case "T":
      try expectWord("True")
      return .bool(true)
    case "F":
      try expectWord("False")
      return .bool(false)
    default: throw Failure(reason: "unexpected value")
    }
  }

  private mutating func parseString() throws -> String {
    guard let quote = peek(), quote == "'" || quote == "\"" else {
      throw Failure(reason: "expected a quoted string")
    }
    position += 1
    var text = ""
    while let character = peek(), character != quote {
      text.append(character)
      position += 1
    }
    try expect(quote)
    return text
  }

  private mutating func parseTuple() throws -> [Int] {
    try expect("(")
    var values: [Int] = []
    while true {
      skipSpaces()
      if peek() == ")" {
        position += 1
        return values
      }
      var digits = ""
      while let character = peek(), character.isASCII, character.isNumber {
        digits.append(character)
        position += 1
      }
      if peek() == "L" { position += 1 }
      guard let value = Int(digits) else { throw Failure(reason: "expected an integer in shape") }
      values.append(value)
      skipSpaces()
      if peek() == "," {
        position += 1
      } else if peek() != ")" {
        throw Failure(reason: "expected ',' or ')' in shape")
      }
    }
  }

  private func peek() -> Character? {
    position < characters.count ? characters[position] : nil
  }

  private mutating func skipSpaces() {
    while let character = peek(), character == " " || character == "\n" || character == "\t" {
      position += 1
    }
  }

  private mutating func expect(_ character: Character) throws {
    guard peek() == character else { throw Failure(reason: "expected '\(character)'") }
    position += 1
  }

  private mutating func expectWord(_ word: String) throws {
    for character in word { try expect(character) }
  }
}
