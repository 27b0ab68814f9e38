public import Artifacts
import Foundation
public import Logging

/// Writes `analytics/{ep_id}/screentime.json` and `screentime.csv` from the episode's
/// `identities.json`, `tracks.jsonl`, `shots.jsonl` (when present) and timing
/// (docs/screentime.md). Both files are committed by one `ArtifactTransaction`, with the
/// `identities.json` they follow when `--cluster`, an edit or the clean-up stages them.
public struct ScreenTimeWriter {
  private let layout: DataLayout
  private let episode: EpisodeID
  private let gapSeconds: Double
  private let logger: Logger

  /// A writer bridging gaps up to `config.screentimeGapSeconds`.
  public init(
    layout: DataLayout, episode: EpisodeID, config: ClusterConfig,
    logger: Logger = Logger(label: "faceharvest.screentime")
  ) {
    self.init(
      layout: layout, episode: episode, gapSeconds: config.screentimeGapSeconds, logger: logger)
  }

  /// A writer bridging gaps up to `gapSeconds`.
  public init(
    layout: DataLayout, episode: EpisodeID, gapSeconds: Double,
    logger: Logger = Logger(label: "faceharvest.screentime")
  ) {
    self.layout = layout
    self.episode = episode
    self.gapSeconds = gapSeconds
    self.logger = logger
  }

  /// A writer for a refresh after an edit of `identities.json`: it bridges the gaps the current
  /// `screentime.json` was computed with (the default when there is none), so an edit changes
  /// only what the edit changed.
  public static func refreshing(
    layout: DataLayout, episode: EpisodeID,
    logger: Logger = Logger(label: "faceharvest.screentime")
  ) -> ScreenTimeWriter {
    let url = layout.screentimeJSON(episode)
    let previous = try? AtomicFile.readJSON(ScreenTimeReport.self, from: url)
    return ScreenTimeWriter(
      layout: layout, episode: episode,
      gapSeconds: previous?.gapSeconds ?? ClusterConfig().screentimeGapSeconds, logger: logger)
  }

  /// Reads the inputs, computes the report and writes both files in one commit.
  ///
  /// - Throws: `ScreenTimeError` for a missing input or an identity naming an unknown track;
  ///   `ArtifactError` naming the file, line and field for an unreadable one.
  @discardableResult
  public func write() throws -> ScreenTimeReport {
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "screen time")
    let report = try stage(readIdentities(), in: transaction)
    try transaction.commit()
    return report
  }

  /// Computes the report for `document` (the `identities.json` about to be committed) and
  /// `tracks` (default: `tracks.jsonl` as it is) and stages both files in `transaction`, so
  /// that screen time is committed with the identities it follows.
  ///
  /// - Throws: as `write()`.
  @discardableResult
  public func stage(
    _ document: IdentitiesDocument, tracks: [Track]? = nil, in transaction: ArtifactTransaction
  ) throws -> ScreenTimeReport {
    let tracks = try tracks ?? readTracks()
    let shots = try layout.readShots(episode)
    let calculator = ScreenTimeCalculator(
      timing: try EpisodeTiming.load(layout: layout, episode: episode), gapSeconds: gapSeconds,
      shots: shots)
    let (members, unidentified) = try pair(document, with: tracks)
    let report = calculator.report(
      episode: episode.rawValue, identities: members, unidentified: unidentified)
    try transaction.stageJSON(report, at: layout.screentimeJSON(episode))
    try transaction.stage(Data(ScreenTimeCSV.text(report).utf8), at: layout.screentimeCSV(episode))
    logger.info(
      "screen time",
      metadata: [
        "episode": "\(episode)", "identities": "\(report.identities.count)",
        "unidentified_s": "\(report.unidentified.seconds)", "cuts_known": "\(report.cutsKnown)",
      ])
    return report
  }

  private func readIdentities() throws -> IdentitiesDocument {
    let url = layout.identities(episode)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw ScreenTimeError.missingInput(
        path: layout.relativePath(url), what: "identities (run --cluster)")
    }
    return try AtomicFile.readJSON(
      IdentitiesDocument.self, from: url, displayPath: layout.relativePath(url))
  }

  private func readTracks() throws -> [Track] {
    let url = layout.tracks(episode)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw ScreenTimeError.missingInput(
        path: layout.relativePath(url), what: "tracks (run --detect-track)")
    }
    return try JSONLReader<Track>.readAll(from: url, displayPath: layout.relativePath(url))
  }

  /// Each identity with its tracks, and the tracks in no identity (in `tracks.jsonl` order).
  private func pair(_ document: IdentitiesDocument, with tracks: [Track]) throws -> (
    [(identity: Identity, tracks: [Track])], [Track]
  ) {
    let byID = Dictionary(tracks.map { ($0.trackID, $0) }, uniquingKeysWith: { first, _ in first })
    var owned = Set<String>()
    let members = try document.identities.enumerated().map { index, identity in
      let mine = try identity.trackIDs.enumerated().map { position, id in
        guard let track = byID[id] else {
          throw ScreenTimeError.invalidInput(
            path: layout.relativePath(layout.identities(episode)), line: nil,
            field: "identities[\(index)].track_ids[\(position)]",
            message: "\(id) is not in tracks.jsonl (run --cluster again)")
        }
        owned.insert(id)
        return track
      }
      return (identity: identity, tracks: mine)
    }
    return (members, tracks.filter { !owned.contains($0.trackID) })
  }
}

/// The screen-time lines of the CLI's closing summary.
public enum ScreenTimeSummary {
  /// The lines for the episode's `screentime.json` as written.
  public static func text(layout: DataLayout, episode: EpisodeID) throws -> String {
    let url = layout.screentimeJSON(episode)
    return text(
      try AtomicFile.readJSON(
        ScreenTimeReport.self, from: url, displayPath: layout.relativePath(url)))
  }

  /// One line per identity (longest first), then the unidentified total.
  public static func text(_ report: ScreenTimeReport) -> String {
    var lines = [
      "screen time \(report.epID): episode " + String(format: "%.2f s", report.durationSeconds)
        + (report.cutsKnown
          ? String(format: ", gaps up to %.2f s bridged inside a shot", report.gapSeconds)
          : ", no gap bridged (shots.jsonl absent)")
    ]
    for entry in report.identities {
      lines.append(
        line(entry.identityID, entry.seconds, entry.share, entry.numTracks)
          + (entry.name.map { "  \"\($0)\"" } ?? ""))
    }
    let other = report.unidentified
    lines.append(line("unidentified", other.seconds, other.share, other.numTracks))
    return lines.joined(separator: "\n")
  }

  private static func line(_ label: String, _ seconds: Double, _ share: Double, _ tracks: Int)
    -> String
  {
    "  " + label.padding(toLength: 16, withPad: " ", startingAt: 0)
      + String(format: "%8.2f s %6.1f%%", seconds, share * 100)
      + "  \(tracks) track\(tracks == 1 ? "" : "s")"
  }
}
