import ArgumentParser
import Artifacts
import FaceHarvestCore
import Foundation
import HTTPApp
import Hummingbird
import Inference
import JobQueue
import Logging

/// `faceharvest-server`: the job API over HTTP (spec §4). All logic lives in `HTTPApp`.
@main
struct FaceHarvestServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faceharvest-server",
    abstract: "Serve the FaceHarvest job API (docs/openapi.yaml) and the review app at /app/.")

  @Option(help: "Address to listen on (loopback unless told otherwise).")
  var host = FaceHarvestServer.defaultHost
  @Option(help: "Port to listen on.") var port = 8080
  @Option(
    name: .customLong("data-root"), help: "Data root (default ./data or $FACEHARVEST_DATA_ROOT).")
  var dataRoot: String?
  @Option(
    name: .customLong("max-concurrent-jobs"), help: "Jobs that run at once (default 1).")
  var maxConcurrentJobs = 1
  @Option(
    name: .customLong("api-token-file"),
    help: "File holding the API token that mutating routes require (else $FACEHARVEST_API_TOKEN).")
  var apiTokenFile: String?
  @Option(
    name: .customLong("database-url"),
    help: ArgumentHelp(
      "Queue jobs in this PostgreSQL job queue for episode-run workers instead of running "
        + "them here (postgres://user@host:port/database; docs/job_queue.md)."))
  var databaseURL: String?
  @Flag(name: .shortAndLong, help: "Log debug details.") var verbose = false

  func run() async throws {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: "faceharvest.server")
    logger.logLevel = verbose ? .debug : .info
    let layout = DataLayout(
      root: DataLayout.resolveRoot(
        explicit: dataRoot, environment: ProcessInfo.processInfo.environment))
    let token = try APIToken.resolve(
      file: apiTokenFile, environment: ProcessInfo.processInfo.environment)
    if token == nil && host != FaceHarvestServer.defaultHost && host != "localhost" {
      logger.warning("listening on \(host) without an API token: anyone who reaches it can edit")
    }
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    let manager = JobManager(maxConcurrentJobs: maxConcurrentJobs, logger: logger)
    let factory = JobFactory(
      layout: layout, manifest: manifest,
      configDirectory: URL(fileURLWithPath: "config/pipeline"), logger: logger)
    guard let databaseURL else {
      try await FaceHarvestServer.application(
        host: host, port: port, manager: manager, factory: factory, layout: layout,
        apiToken: token, logger: logger
      ).runService()
      return
    }
    try await JobQueue.withQueue(url: try DatabaseURL(databaseURL), logger: logger) { queue in
      logger.info("jobs go to the job queue at \(queue.url)")
      try await FaceHarvestServer.application(
        host: host, port: port, manager: manager, factory: factory, layout: layout,
        apiToken: token, queue: queue, logger: logger
      ).runService()
    }
  }
}
