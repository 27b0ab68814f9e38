import ArgumentParser
import Artifacts
import Foundation
import Season

/// `episode-run season`: screen time per person across a show's episodes (docs/screentime.md,
/// "Season report").
struct SeasonCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "season",
    abstract: "Screen time per person across a show's episodes.",
    subcommands: [SeasonReportCommand.self],
    defaultSubcommand: SeasonReportCommand.self
  )
}

/// How `season report` prints the report.
enum SeasonFormat: String, ExpressibleByArgument, CaseIterable {
  case table, csv, json
}

struct SeasonReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write analytics/shows/{show}/screentime.json and .csv and print the report.",
    discussion: "Episodes belong to the show by their id ({show}-sNNeNN). A person is a human "
      + "label (person_id, or a name alone); unlabelled identities and suggestions not yet "
      + "accepted count as unnamed.")

  @OptionGroup var episode: EpisodeOptions
  @Option(name: .customLong("show"), help: "Show id, e.g. sample.")
  var show: String
  @Option(help: "table | csv | json.")
  var format: SeasonFormat = .table

  func run() throws {
    let show = try ShowID(self.show)
    let layout = episode.layout()
    let store = SeasonReportStore(layout: layout, show: show)
    guard !(try store.episodes()).isEmpty else {
      throw SeasonCommandError(
        description: "no episode of show \(show) under \(layout.root.path) (an episode belongs "
          + "to a show by its id: \(show)-sNNeNN); nothing was written")
    }
    let report = try store.build(reader: "episode-run season report")
    let written = try store.publish(report)
    switch format {
    case .table: print(SeasonTable.text(report))
    case .csv: print(SeasonCSV.text(report), terminator: "")
    case .json:
      print(String(decoding: try AtomicFile.jsonData(report, displayPath: "-"), as: UTF8.self))
    }
    FileHandle.standardError.write(Data("wrote \(written.joined(separator: ", "))\n".utf8))
  }
}

/// A `season` command's refusal, printed as one line.
struct SeasonCommandError: Error, CustomStringConvertible {
  let description: String
}
