public import Foundation

/// Where the tests find the package's own executables: next to the test bundle (SwiftPM builds
/// both into one folder), or the path in an environment variable that overrides it.
public enum BuiltExecutable {
  /// The repository root (this file sits two folders below it).
  public static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The built executable `name`, or `$override` when that is set and not empty.
  public static func url(named name: String, override: String) throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment[override], !explicit.isEmpty {
      return URL(fileURLWithPath: explicit)
    }
    var candidates: [URL] = []
    if let bundle = Bundle.main.executableURL {
      candidates.append(bundle.deletingLastPathComponent().appendingPathComponent(name))
    }
    for bundle in Bundle.allBundles {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
    }
    candidates.append(repositoryRoot.appendingPathComponent(".build/debug/\(name)"))
    guard
      let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
    else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(name) (build it first)"])
    }
    return found
  }

  /// The environment a test runs an executable with: the caller's, with `FACEHARVEST_DEPS`
  /// pointing at the repository's `.deps` when unset, and `extra` on top.
  public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["FACEHARVEST_DEPS"] =
      environment["FACEHARVEST_DEPS"] ?? repositoryRoot.appendingPathComponent(".deps").path
    for (key, value) in extra { environment[key] = value }
    return environment
  }
}
