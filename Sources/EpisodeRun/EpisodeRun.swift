import ArgumentParser
import Artifacts
import Foundation
import Logging

/// `episode-run`: the FaceHarvest command line. Stage flags run pipeline stages on one episode;
/// subcommands inspect artifacts. All logic lives in the libraries.
@main
struct EpisodeRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "episode-run",
    abstract: "Turn a TV episode into face identities.",
    discussion: """
      Data layout (under --data-root, default ./data or $FACEHARVEST_DATA_ROOT):
        videos/{ep_id}/episode.mp4, manifests/{ep_id}/*.jsonl|json, embeds/{ep_id}/*.npy,
        frames/{ep_id}/crops/...
      """,
    subcommands: [Validate.self]
  )

  @OptionGroup var episode: EpisodeOptions

  func run() throws {
    throw ValidationError(
      "nothing to do for \(episode.epID ?? "(no --ep-id)"): pass a stage flag or a subcommand "
        + "(see --help)")
  }
}

/// Options every episode command shares.
struct EpisodeOptions: ParsableArguments {
  @Option(name: .customLong("ep-id"), help: "Episode id, e.g. sample-s01e01.")
  var epID: String?

  @Option(name: .customLong("data-root"), help: "Data root (default ./data or $FACEHARVEST_DATA_ROOT).")
  var dataRoot: String?

  @Flag(name: .shortAndLong, help: "Log debug details.")
  var verbose = false

  /// The validated episode id; a bad one is rejected before any file is touched.
  func episodeID() throws -> EpisodeID {
    guard let epID else { throw ValidationError("--ep-id is required") }
    do {
      return try EpisodeID(epID)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// The data layout for the chosen root.
  func layout() -> DataLayout {
    DataLayout(
      root: DataLayout.resolveRoot(explicit: dataRoot, environment: ProcessInfo.processInfo.environment))
  }

  /// A logger writing to standard error at the chosen level.
  func logger(_ label: String) -> Logger {
    LoggingBootstrap.once()
    var logger = Logger(label: label)
    logger.logLevel = verbose ? .debug : .info
    return logger
  }
}

/// Bootstraps swift-log exactly once per process (the executable's job, never a library's).
enum LoggingBootstrap {
  private static let bootstrapped: Void = {
    LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
  }()

  static func once() { _ = bootstrapped }
}
