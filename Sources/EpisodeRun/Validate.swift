import ArgumentParser
import Artifacts
import Foundation
import Identities
import Media
import Season

/// `episode-run validate`: every check of the artifact spec's §10 on one episode.
struct Validate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Validate an episode's artifacts against the spec (schemas, invariants, links).",
    discussion: "Prints every violation (artifact, line, field, value) and a summary. "
      + "Exit status 0 only when the artifacts are clean."
  )

  @OptionGroup var episode: EpisodeOptions

  @Option(
    name: .customLong("show"),
    help: "Validate the show's season report (analytics/shows/{show}/) instead of an episode.")
  var show: String?

  @Flag(help: "Print the report as JSON.")
  var json = false

  @Option(
    name: .customLong("embed-width"),
    help: "Expected embedding width (default: not checked beyond consistency).")
  var embedWidth: Int?

  func run() throws {
    let layout = episode.layout()
    if show != nil && episode.epID != nil {
      throw ValidationError("give --ep-id (an episode) or --show (a season report), not both")
    }
    if let show {
      let showID = try ShowID(show)
      let report = SeasonReportStore(layout: layout, show: showID)
        .validate(reader: "episode-run validate")
      try printReport(report, subject: "season report of \(showID)", layout: layout)
      return
    }
    let episodeID = try episode.episodeID()
    let video = layout.video(episodeID)
    var report = ArtifactValidator(layout: layout, episode: episodeID)
      .validate(expectedEmbeddingWidth: embedWidth) {
        try? VideoFrameCount.count(video).framesInVideo
      }
    Self.checkPeopleRegistry(of: episodeID, layout: layout, into: &report)
    try printReport(report, subject: episodeID.rawValue, layout: layout)
  }

  /// Prints `report` (as JSON with `--json`) and exits 1 unless it is clean and checked
  /// something.
  private func printReport(_ report: ValidationReport, subject: String, layout: DataLayout) throws {
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let data = try encoder.encode(report)
      print(String(decoding: data, as: UTF8.self))
    } else {
      for violation in report.violations {
        print(violation.description)
      }
      for note in report.notes {
        print("note: \(note)")
      }
      let checked = report.checked.sorted { $0.key < $1.key }
        .map { "\($0.key): \($0.value)" }.joined(separator: ", ")
      print(
        "validate \(subject): \(report.violations.count) violation(s); checked \(checked.isEmpty ? "nothing" : checked)"
      )
    }
    if !report.isClean { throw ExitCode(1) }
    if report.checked.isEmpty {
      // A typo in --ep-id, --show or --data-root must not pass as "clean".
      FileHandle.standardError.write(
        Data("error: no artifacts of \(subject) under \(layout.root.path)\n".utf8))
      throw ExitCode(1)
    }
  }

  /// Checks the registry of the episode's show (`shows/{show_id}/people.json`, docs/people.md)
  /// when there is one: the same validation every read of it does.
  static func checkPeopleRegistry(
    of episode: EpisodeID, layout: DataLayout, into report: inout ValidationReport
  ) {
    guard let show = ShowID.derived(from: episode) else { return }
    let url = layout.people(show)
    guard FileManager.default.fileExists(atPath: url.path) else { return }
    let path = layout.relativePath(url)
    do {
      report.checked[path] = try PeopleRegistry(layout: layout, show: show).load().people.count
    } catch {
      report.violations.append(
        Violation(
          artifact: path, line: nil, field: "people", value: "",
          message: "\(error)"))
    }
  }
}
