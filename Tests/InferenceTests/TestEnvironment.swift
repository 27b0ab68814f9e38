import Foundation

/// Where `make setup` put the models and the sample episode, seen from the test target.
enum TestEnvironment {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static var depsDirectory: URL {
    if let deps = ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"], !deps.isEmpty {
      return URL(fileURLWithPath: deps)
    }
    return repositoryRoot.appendingPathComponent(".deps")
  }

  static var manifestURL: URL { depsDirectory.appendingPathComponent("models/manifest.json") }

  static var dataRoot: URL { repositoryRoot.appendingPathComponent("data") }

  static let sampleEpisode = "sample-s01e01"

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-inference-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
