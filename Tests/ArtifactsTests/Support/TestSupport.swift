import Foundation
import Testing

@testable import Artifacts

/// A fresh temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-artifacts-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// Names of the entries directly in the directory (or in `subdirectory`), sorted.
  func listing(_ subdirectory: String? = nil) throws -> [String] {
    let folder = subdirectory.map { url.appendingPathComponent($0) } ?? url
    return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  func cleanUp() {
    try? FileManager.default.removeItem(at: url)
  }
}

/// Writes `text` to `url` as UTF-8, creating parent folders.
func writeText(_ text: String, to url: URL) throws {
  try FileManager.default.createDirectory(
    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data(text.utf8).write(to: url)
}

/// Runs `body` and returns the `ArtifactError` it throws, recording an issue when it throws
/// nothing or something else.
func artifactError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> ArtifactError? {
  do {
    try body()
    Issue.record("expected an ArtifactError, nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as ArtifactError {
    return error
  } catch {
    Issue.record("expected an ArtifactError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// A unit vector of `width` values, different for each `seed`, exactly representable enough
/// that its norm is 1 within float precision.
func unitVector(seed: Int, width: Int) -> [Float] {
  var values = (0..<width).map { index in Float(sin(Double(seed * 31 + index * 7 + 1))) }
  let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
  values = values.map { $0 / norm }
  return values
}

extension JSONValue {
  /// This value with the member/element at `path` replaced by `newValue`, or removed when
  /// `newValue` is `nil`. An index equal to the array's count appends.
  func replacing(_ path: [JSONPathComponent], with newValue: JSONValue?) -> JSONValue {
    guard let head = path.first else { return newValue ?? .null }
    let rest = Array(path.dropFirst())
    switch (head, self) {
    case (.key(let key), .object(var members)):
      if rest.isEmpty, newValue == nil {
        members[key] = nil
      } else {
        members[key] = (members[key] ?? .null).replacing(rest, with: newValue)
      }
      return .object(members)
    case (.index(let index), .array(var elements)):
      if rest.isEmpty, newValue == nil {
        elements.remove(at: index)
      } else if index == elements.count {
        elements.append(JSONValue.null.replacing(rest, with: newValue))
      } else {
        elements[index] = elements[index].replacing(rest, with: newValue)
      }
      return .array(elements)
    default:
      return self
    }
  }

  /// Compact JSON with sorted keys.
  func jsonText() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}

/// Parses a field path like `identities[1].track_ids[0]` into components.
func parsePath(_ path: String) -> [JSONPathComponent] {
  var components: [JSONPathComponent] = []
  for part in path.split(separator: ".") {
    var name = Substring(part)
    var indices: [Int] = []
    while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
      if let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
        indices.insert(index, at: 0)
      }
      name = name[..<open]
    }
    if !name.isEmpty { components.append(.key(String(name))) }
    components += indices.map { .index($0) }
  }
  return components
}

/// Locates the Python with NumPy the interop tests use: `$FACEHARVEST_PYTHON`, else the
/// set-up venv (`$FACEHARVEST_DEPS/venv` or the repository's `.deps/venv`), else
/// `/tmp/venv`.
enum PythonLocator {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var candidates: [String] {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["FACEHARVEST_PYTHON"], !explicit.isEmpty { return [explicit] }
    var list: [String] = []
    if let deps = environment["FACEHARVEST_DEPS"], !deps.isEmpty {
      list.append("\(deps)/venv/bin/python")
    }
    list.append(repositoryRoot.appendingPathComponent(".deps/venv/bin/python").path)
    list.append("/work/main/.deps/venv/bin/python")
    list.append("/tmp/venv/bin/python")
    return list
  }

  /// The first candidate that runs and imports NumPy, or `nil` with what was tried.
  static func pythonWithNumPy() -> (path: String?, tried: [String]) {
    python(importing: "numpy")
  }

  /// The first candidate that runs and imports `module`, or `nil` with what was tried.
  static func python(importing module: String) -> (path: String?, tried: [String]) {
    var tried: [String] = []
    for candidate in candidates {
      guard FileManager.default.isExecutableFile(atPath: candidate) else {
        tried.append("\(candidate) (not found)")
        continue
      }
      if let result = try? run(candidate, script: "import \(module)"), result.status == 0 {
        return (candidate, tried)
      }
      tried.append("\(candidate) (cannot import \(module))")
    }
    return (nil, tried)
  }

  /// Runs `script` with `python`, passing `arguments`; returns status and output.
  static func run(_ python: String, script: String, arguments: [String] = []) throws -> (
    status: Int32, output: String, error: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self),
      String(decoding: errorData, as: UTF8.self)
    )
  }
}
