import ArgumentParser
import Foundation
import Harvest

/// `episode-run debug-thumbs PATH`: summarises a `crops_debug.jsonl`.
struct DebugThumbs: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debug-thumbs",
    abstract: "Summarise crops_debug.jsonl: counts by status and reason, per-track table, "
      + "quality histogram, worst tracks."
  )

  @Argument(help: "Path to frames/{ep_id}/crops_debug.jsonl (written with DEBUG_THUMBS=1).")
  var path: String

  @Flag(help: "Print the report as JSON.")
  var json = false

  func run() throws {
    let report = try CropDebugReport.analyse(url: URL(fileURLWithPath: path))
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(report.text())
    }
  }
}
