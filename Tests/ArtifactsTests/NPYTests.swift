import Foundation
import Testing

@testable import Artifacts

@Suite("NPYMatrix")
struct NPYTests {
  static let small = [Float](arrayLiteral: 0, 0.25, 0.5, 0.75, 1, 1.25)

  /// `np.save` of `np.arange(6, dtype=np.float32).reshape(2, 3) / 4`, byte for byte.
  static var numpyBytes: [UInt8] {
    let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0]
    bytes += Array(dictionary.utf8) + Array(repeating: 0x20, count: 58) + [0x0A]
    for value in small { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    return bytes
  }

  /// A `.npy` file with the given header dictionary and `payload` float count.
  static func file(header dictionary: String, payload: Int, version: (UInt8, UInt8) = (1, 0))
    -> Data
  {
    var header = Array(dictionary.utf8)
    let prefix = version.0 == 1 ? 10 : 12
    while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
    header.append(0x0A)
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
    let length = header.count
    if version.0 == 1 {
      bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    } else {
      bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), 0, 0]
    }
    bytes += header
    bytes += Array(repeating: 0, count: payload * 4)
    return Data(bytes)
  }

  @Test("writes exactly what np.save writes")
  func exactBytes() throws {
    let matrix = try NPYMatrix(rows: 2, columns: 3, values: Self.small)
    let encoded = [UInt8](matrix.encoded())
    #expect(encoded == Self.numpyBytes)
    #expect(encoded.count == 128 + 24)
  }

  @Test(
    "the header keeps the data 64-byte aligned for any shape",
    arguments: [(0, 512), (1, 1), (10_000, 512), (123_456_789, 128)])
  func alignment(rows: Int, columns: Int) throws {
    let header = NPYMatrix.header(rows: rows, columns: columns)
    #expect((10 + header.count) % 64 == 0)
    #expect(header.last == 0x0A)
    let text = String(decoding: header, as: UTF8.self)
    #expect(
      text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"))
  }

  @Test("write then read gives the same matrix, including an empty (0, D) one")
  func roundTrip() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let rows = (1...5).map { unitVector(seed: $0, width: 512) }
    let matrix = try NPYMatrix(rowVectors: rows)
    let url = directory.file("embeds/ep/faces.npy")
    try matrix.write(to: url)
    let back = try NPYMatrix.read(from: url)
    #expect(back == matrix)
    #expect(back.rows == 5 && back.columns == 512)
    #expect(Array(back.row(3)) == rows[3])
    #expect(try directory.listing("embeds/ep") == ["faces.npy"])

    let empty = try NPYMatrix(rowVectors: [], columns: 512)
    try empty.write(to: url)
    let emptyBack = try NPYMatrix.read(from: url)
    #expect(emptyBack.rows == 0 && emptyBack.columns == 512 && emptyBack.values.isEmpty)
  }

  @Test("reads format 2.0")
  func version2() throws {
    let data = Self.file(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: 4,
      version: (2, 0))
    let matrix = try NPYMatrix.decode(data, path: "v2.npy")
    #expect(matrix.rows == 2 && matrix.columns == 2 && matrix.values == [0, 0, 0, 0])
  }

  @Test(
    "refuses what is not a 2-D C-order little-endian float32 matrix",
    arguments: [
      ("bad magic", "magic"),
      ("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", "'<f8' is not supported"),
      ("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "'>f4' is not supported"),
      ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "fortran_order is True"),
      ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", "shape (6,) is 1-D"),
      ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", "is 3-D"),
      ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", "truncated file"),
      ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 5), }", "trailing bytes"),
      ("{'descr': '<f4', 'fortran_order': False}", "no 'shape'"),
      ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "unreadable header"),
      ("version 3", "unsupported .npy format version 3.0"),
      ("huge header", "truncated header"),
    ])
  func refuses(header: String, reason: String) throws {
    let data: Data
    switch header {
    case "bad magic":
      data = Data("PK\u{3}\u{4}NUMPY-not-really".utf8)
    case "version 3":
      var bytes = [UInt8](Self.numpyBytes)
      bytes[6] = 3
      data = Data(bytes)
    case "huge header":
      var bytes = [UInt8](Self.numpyBytes)
      bytes[9] = 0xFF
      data = Data(bytes)
    default:
      data = Self.file(header: header, payload: 6)
    }
    let error = artifactError { _ = try NPYMatrix.decode(data, path: "embeds/x/faces.npy") }
    guard case .npy(let path, let actual)? = error else {
      Issue.record("expected an npy error, got \(String(describing: error))")
      return
    }
    #expect(path == "embeds/x/faces.npy")
    #expect(actual.contains(reason), "\(actual)")
  }

  @Test("a file cut short is refused, naming the file")
  func truncatedFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("faces.npy")
    try Data(Self.numpyBytes.dropLast(5)).write(to: url)
    let error = artifactError {
      _ = try NPYMatrix.read(from: url, displayPath: "embeds/e/faces.npy")
    }
    #expect(error?.description.hasPrefix("embeds/e/faces.npy: data is 19 bytes") == true)
    #expect(
      throws: ArtifactError.fileNotFound(path: "embeds/e/none.npy")
    ) { _ = try NPYMatrix.read(from: directory.file("none.npy"), displayPath: "embeds/e/none.npy") }
  }

  @Test("shapes and values must agree")
  func invalidShapes() throws {
    #expect(throws: ArtifactError.self) {
      _ = try NPYMatrix(rows: 2, columns: 2, values: [1, 2, 3])
    }
    #expect(throws: ArtifactError.self) { _ = try NPYMatrix(rows: -1, columns: 2, values: []) }
    #expect(throws: ArtifactError.self) { _ = try NPYMatrix(rowVectors: [[1, 2], [3]]) }
  }
}
