public import Artifacts

/// `analytics/shows/{show_id}/screentime.json` (`season_screentime_v1`, docs/screentime.md,
/// "Season report"): each person's screen time in each episode of a show, with totals.
public struct SeasonReport: Codable, Hashable, Sendable {
  /// The schema this code writes and reads.
  public static let currentSchema = "season_screentime_v1"

  /// `schema_version`.
  public var schemaVersion: String
  /// `show_id`.
  public var showID: String
  /// `episodes`: every episode of the show found under the data root, by `ep_id`.
  public var episodes: [SeasonEpisode]
  /// `rows`: one per (person, episode with screen time), then per episode the unnamed and the
  /// unidentified seconds; persons by total seconds, longest first.
  public var rows: [SeasonRow]
  /// `totals`: one per person (and the unnamed and unidentified), over the episodes.
  public var totals: [SeasonTotal]

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version"
    case showID = "show_id"
    case episodes, rows, totals
  }

  /// A report of `showID`.
  public init(
    showID: String, episodes: [SeasonEpisode], rows: [SeasonRow], totals: [SeasonTotal],
    schemaVersion: String = SeasonReport.currentSchema
  ) {
    self.schemaVersion = schemaVersion
    self.showID = showID
    self.episodes = episodes
    self.rows = rows
    self.totals = totals
  }
}

/// What a row counts.
public enum SeasonRowKind: String, Codable, Hashable, Sendable {
  /// A person: identities with a human label (a `person_id`, or a `name` alone).
  case person
  /// Identities with no human label (a pending suggestion is not one), summed.
  case unnamed
  /// Tracks in no identity.
  case unidentified
}

/// One episode of the show and how far its identities were reviewed.
public struct SeasonEpisode: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `status`: `ok`, or why the episode has no rows (`no identities.json: run --cluster`, …).
  public var status: String
  /// `duration_s`.
  public var durationSeconds: Double
  /// `identities`: identities in `identities.json`.
  public var identities: Int
  /// `labelled`: identities with a human label.
  public var labelled: Int
  /// `suggested`: identities whose label is a suggestion not yet accepted.
  public var suggested: Int
  /// `reviewed`: every identity has a human label or is locked, and no suggestion waits.
  public var reviewed: Bool

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case status
    case durationSeconds = "duration_s"
    case identities, labelled, suggested, reviewed
  }

  /// An episode entry.
  public init(
    epID: String, status: String, durationSeconds: Double = 0, identities: Int = 0,
    labelled: Int = 0, suggested: Int = 0, reviewed: Bool = false
  ) {
    self.epID = epID
    self.status = status
    self.durationSeconds = durationSeconds
    self.identities = identities
    self.labelled = labelled
    self.suggested = suggested
    self.reviewed = reviewed
  }
}

/// One person's screen time in one episode: a row of `screentime.csv`.
public struct SeasonRow: Codable, Hashable, Sendable {
  /// `kind`.
  public var kind: SeasonRowKind
  /// `person_id`: empty for a person named without one, the unnamed and the unidentified.
  public var personID: String
  /// `name`: the registry's name, else the label's; `unnamed` / `unidentified` for those rows.
  public var name: String
  /// `ep_id`.
  public var epID: String
  /// `seconds`: the sum of the episode's `screentime.json` seconds of the identities mapped to
  /// the person (the unidentified total for `unidentified`).
  public var seconds: Double
  /// `share`: `seconds` ÷ the episode's duration.
  public var share: Double
  /// `identities`: how many of the episode's identities were summed.
  public var identities: Int

  enum CodingKeys: String, CodingKey {
    case kind
    case personID = "person_id"
    case name
    case epID = "ep_id"
    case seconds, share, identities
  }

  /// A row.
  public init(
    kind: SeasonRowKind, personID: String, name: String, epID: String, seconds: Double,
    share: Double, identities: Int
  ) {
    self.kind = kind
    self.personID = personID
    self.name = name
    self.epID = epID
    self.seconds = seconds
    self.share = share
    self.identities = identities
  }
}

/// One person's total over the episodes.
public struct SeasonTotal: Codable, Hashable, Sendable {
  /// `kind`.
  public var kind: SeasonRowKind
  /// `person_id`.
  public var personID: String
  /// `name`.
  public var name: String
  /// `seconds`: the sum of the person's rows.
  public var seconds: Double
  /// `share`: `seconds` ÷ the summed duration of the episodes with rows.
  public var share: Double
  /// `episodes`: episodes where the person has any seconds.
  public var episodes: Int

  enum CodingKeys: String, CodingKey {
    case kind
    case personID = "person_id"
    case name, seconds, share, episodes
  }

  /// A total.
  public init(
    kind: SeasonRowKind, personID: String, name: String, seconds: Double, share: Double,
    episodes: Int
  ) {
    self.kind = kind
    self.personID = personID
    self.name = name
    self.seconds = seconds
    self.share = share
    self.episodes = episodes
  }
}

/// `analytics/shows/{show_id}/screentime.csv`: RFC 4180 like the episode's
/// (`ScreenTimeCSV`), one header row, then one row per `rows` entry in the JSON's order.
public enum SeasonCSV {
  /// The header row's columns.
  public static let columns = [
    "show_id", "kind", "person_id", "name", "ep_id", "seconds", "share", "identities",
  ]

  /// The whole file.
  public static func text(_ report: SeasonReport) -> String {
    var lines = [columns]
    for row in report.rows {
      lines.append(
        [
          report.showID, row.kind.rawValue, row.personID, row.name, row.epID,
          ScreenTimeCSV.number(row.seconds), ScreenTimeCSV.number(row.share),
          String(row.identities),
        ])
    }
    return lines.map { $0.map(ScreenTimeCSV.field).joined(separator: ",") + "\r\n" }.joined()
  }
}
