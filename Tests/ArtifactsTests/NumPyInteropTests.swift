import Foundation
import Testing

@testable import Artifacts

/// Files written here must load in NumPy and files NumPy writes must load here. These tests
/// fail (never skip) when no Python with NumPy is found: CI always has the set-up venv.
@Suite("NumPy interoperability")
struct NumPyInteropTests {
  struct NoPython: Error {}

  func python() throws -> String {
    let (path, tried) = PythonLocator.pythonWithNumPy()
    guard let path else {
      let message =
        "no Python with NumPy found (tried: \(tried.joined(separator: "; "))); run `make setup` "
        + "or set FACEHARVEST_PYTHON"
      Issue.record(Comment(rawValue: message))
      throw NoPython()
    }
    return path
  }

  func runPython(_ script: String, _ arguments: [String]) throws -> String {
    let result = try PythonLocator.run(try python(), script: script, arguments: arguments)
    #expect(result.status == 0, "python failed: \(result.error)")
    return result.output
  }

  @Test("np.load reads what Swift wrote")
  func numpyLoadsSwift() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let rows = (1...7).map { unitVector(seed: $0, width: 512) }
    let matrix = try NPYMatrix(rowVectors: rows)
    let url = directory.file("faces.npy")
    try matrix.write(to: url)
    let empty = directory.file("empty.npy")
    try NPYMatrix(rowVectors: [], columns: 128).write(to: empty)

    let script = """
      import json, sys, numpy as np
      a = np.load(sys.argv[1])
      e = np.load(sys.argv[2])
      print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype),
        "c": bool(a.flags.c_contiguous), "values": [float(x) for x in a.ravel()],
        "norms": [float(n) for n in np.linalg.norm(a, axis=1)],
        "empty": list(e.shape)}))
      """
    let output = try runPython(script, [url.path, empty.path])
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    #expect(object["shape"] as? [Int] == [7, 512])
    #expect(object["dtype"] as? String == "float32")
    #expect(object["c"] as? Bool == true)
    let values = try #require(object["values"] as? [Double])
    #expect(values.map(Float.init) == matrix.values)
    let norms = try #require(object["norms"] as? [Double])
    #expect(norms.allSatisfy { abs($0 - 1) < 1e-5 })
    #expect(object["empty"] as? [Int] == [0, 128])
  }

  @Test("Swift reads what np.save wrote (format 1.0 and 2.0)")
  func swiftLoadsNumPy() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let v1 = directory.file("v1.npy")
    let v2 = directory.file("v2.npy")
    let script = """
      import sys, numpy as np
      a = (np.arange(3 * 512, dtype=np.float32).reshape(3, 512) - 700.5) / np.float32(7.0)
      np.save(sys.argv[1], a)
      with open(sys.argv[2], "wb") as f:
          np.lib.format.write_array(f, a[:2, :5].copy(), version=(2, 0))
      print(" ".join(repr(float(x)) for x in a.ravel()))
      """
    let output = try runPython(script, [v1.path, v2.path])
    let expected = output.split(separator: " ").compactMap {
      Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    .map(Float.init)
    #expect(expected.count == 3 * 512)
    let matrix = try NPYMatrix.read(from: v1)
    #expect(matrix.rows == 3 && matrix.columns == 512)
    #expect(matrix.values == expected)
    let small = try NPYMatrix.read(from: v2)
    #expect(small.rows == 2 && small.columns == 5)
    #expect(Array(small.row(1)) == Array(expected[512..<517]))
  }

  @Test("Python's json + np.float32 recover the exact float32 embeddings Swift wrote")
  func jsonlFloatsRoundTripInPython() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let faces = (1...3).map { Samples.face($0, track: 1, frame: $0, width: 512) }
    let jsonl = directory.file("faces.jsonl")
    let npy = directory.file("faces.npy")
    try JSONLWriter.write(faces, to: jsonl)
    try NPYMatrix(rowVectors: faces.map(\.embedding)).write(to: npy)
    let script = """
      import json, sys, numpy as np
      rows = [json.loads(line) for line in open(sys.argv[1])]
      e = np.array([r["embedding"] for r in rows], dtype=np.float32)
      a = np.load(sys.argv[2])
      print(int(e.shape[0]), bool(np.array_equal(e, a)))
      """
    let output = try runPython(script, [jsonl.path, npy.path])
    #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "3 True")
  }
}
