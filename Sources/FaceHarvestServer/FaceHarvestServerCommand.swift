import ArgumentParser
import Artifacts
import Foundation
import Hummingbird
import Inference
import JobServer
import Logging

/// `faceharvest-server`: the job API over HTTP (spec §4). All logic lives in `JobServer`.
@main
struct FaceHarvestServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faceharvest-server",
    abstract: "Serve the FaceHarvest job API (docs/openapi.yaml).")

  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port to listen on.") var port = 8080
  @Option(
    name: .customLong("data-root"), help: "Data root (default ./data or $FACEHARVEST_DATA_ROOT).")
  var dataRoot: String?
  @Option(
    name: .customLong("max-concurrent-jobs"), help: "Jobs that run at once (default 1).")
  var maxConcurrentJobs = 1
  @Flag(name: .shortAndLong, help: "Log debug details.") var verbose = false

  func run() async throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: "faceharvest.server")
    logger.logLevel = verbose ? .debug : .info
    let layout = DataLayout(
      root: DataLayout.resolveRoot(
        explicit: dataRoot, environment: ProcessInfo.processInfo.environment))
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    let manager = JobManager(maxConcurrentJobs: maxConcurrentJobs, logger: logger)
    let factory = JobFactory(
      layout: layout, manifest: manifest,
      configDirectory: URL(fileURLWithPath: "config/pipeline"), logger: logger)
    let app = FaceHarvestServer.application(
      host: host, port: port, manager: manager, factory: factory, layout: layout, logger: logger)
    try await app.runService()
  }
}
