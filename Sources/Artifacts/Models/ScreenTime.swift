import Foundation

extension SchemaVersion {
  /// `analytics/{ep_id}/screentime.json`: `screentime_v1`.
  public static let screenTime = "screentime_v1"
}

/// `analytics/{ep_id}/screentime.json` (`screentime_v1`): how long each identity's face is on
/// screen, and how long faces in no identity are (docs/screentime.md).
public struct ScreenTimeReport: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `duration_s`: the episode's duration (last frame's timestamp + one frame).
  public var durationSeconds: Double
  /// `frame_step_s`: the time one analysed frame stands for (a detection covers it).
  public var frameStepSeconds: Double
  /// `gap_seconds`: the longest gap inside a shot bridged between two spans of one identity
  /// (`screentime_gap_seconds`).
  public var gapSeconds: Double
  /// `cuts_known`: whether `shots.jsonl` was read; without it no gap is bridged.
  public var cutsKnown: Bool
  /// `timing_source`: where the duration and frame step came from (`track_metrics.json`, or
  /// `episode.mp4` when the metrics are absent).
  public var timingSource: String
  /// `identities`: one entry per identity of `identities.json`, longest screen time first.
  public var identities: [ScreenTimeEntry]
  /// `unidentified`: the tracks of `tracks.jsonl` in no identity, together.
  public var unidentified: UnidentifiedScreenTime
  /// `schema_version`: `screentime_v1`.
  public var schemaVersion: String

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case durationSeconds = "duration_s"
    case frameStepSeconds = "frame_step_s"
    case gapSeconds = "gap_seconds"
    case cutsKnown = "cuts_known"
    case timingSource = "timing_source"
    case identities
    case unidentified
    case schemaVersion = "schema_version"
  }

  /// A report; `schemaVersion` defaults to `screentime_v1`.
  public init(
    epID: String, durationSeconds: Double, frameStepSeconds: Double, gapSeconds: Double,
    cutsKnown: Bool, timingSource: String, identities: [ScreenTimeEntry],
    unidentified: UnidentifiedScreenTime, schemaVersion: String = SchemaVersion.screenTime
  ) {
    self.epID = epID
    self.durationSeconds = durationSeconds
    self.frameStepSeconds = frameStepSeconds
    self.gapSeconds = gapSeconds
    self.cutsKnown = cutsKnown
    self.timingSource = timingSource
    self.identities = identities
    self.unidentified = unidentified
    self.schemaVersion = schemaVersion
  }
}

/// One identity's screen time: an entry of `identities` in `screentime.json`, a row of
/// `screentime.csv`.
public struct ScreenTimeEntry: Codable, Hashable, Sendable {
  /// `identity_id`.
  public var identityID: String
  /// `name`: the identity's `labels.name`, or `null`.
  public var name: String?
  /// `person_id`: the identity's `labels.person_id`, or `null`.
  public var personID: String?
  /// `seconds`: face-visible seconds (the union of its tracks' spans, short gaps inside a shot
  /// bridged).
  public var seconds: Double
  /// `share`: `seconds` ÷ the episode's duration, in [0, 1].
  public var share: Double
  /// `num_tracks`: its tracks.
  public var numTracks: Int
  /// `first_seen_s`: `start_s` of its earliest track.
  public var firstSeenSeconds: Double
  /// `last_seen_s`: `end_s` of its latest track.
  public var lastSeenSeconds: Double

  enum CodingKeys: String, CodingKey {
    case identityID = "identity_id"
    case name
    case personID = "person_id"
    case seconds
    case share
    case numTracks = "num_tracks"
    case firstSeenSeconds = "first_seen_s"
    case lastSeenSeconds = "last_seen_s"
  }

  /// An entry.
  public init(
    identityID: String, name: String?, personID: String?, seconds: Double, share: Double,
    numTracks: Int, firstSeenSeconds: Double, lastSeenSeconds: Double
  ) {
    self.identityID = identityID
    self.name = name
    self.personID = personID
    self.seconds = seconds
    self.share = share
    self.numTracks = numTracks
    self.firstSeenSeconds = firstSeenSeconds
    self.lastSeenSeconds = lastSeenSeconds
  }

  /// Encodes the entry, writing `null` for an unset label (every entry has every key).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(identityID, forKey: .identityID)
    try container.encode(name, forKey: .name)
    try container.encode(personID, forKey: .personID)
    try container.encode(seconds, forKey: .seconds)
    try container.encode(share, forKey: .share)
    try container.encode(numTracks, forKey: .numTracks)
    try container.encode(firstSeenSeconds, forKey: .firstSeenSeconds)
    try container.encode(lastSeenSeconds, forKey: .lastSeenSeconds)
  }
}

/// The screen time of faces in no identity (`unidentified` in `screentime.json`).
public struct UnidentifiedScreenTime: Codable, Hashable, Sendable {
  /// `seconds`: the union of the unidentified tracks' spans (no gap bridged: they may be
  /// different people).
  public var seconds: Double
  /// `share`: `seconds` ÷ the episode's duration.
  public var share: Double
  /// `num_tracks`: tracks of `tracks.jsonl` in no identity.
  public var numTracks: Int

  enum CodingKeys: String, CodingKey {
    case seconds
    case share
    case numTracks = "num_tracks"
  }

  /// The unidentified total.
  public init(seconds: Double, share: Double, numTracks: Int) {
    self.seconds = seconds
    self.share = share
    self.numTracks = numTracks
  }
}

/// `analytics/{ep_id}/screentime.csv`: RFC 4180 (CRLF line ends, a field quoted when it holds
/// a comma, a quote, CR or LF, quotes doubled), UTF-8 without a byte-order mark, one header row,
/// one row per identity in the JSON's order, then one row of `kind` `unidentified` (its
/// `identity_id`, labels and times empty; docs/screentime.md).
public enum ScreenTimeCSV {
  /// The header row's columns.
  public static let columns = [
    "kind", "identity_id", "name", "person_id", "seconds", "share", "num_tracks", "first_seen_s",
    "last_seen_s",
  ]
  /// `kind` of an identity's row.
  public static let identityKind = "identity"
  /// `kind` of the last row, the unidentified total (`identity_id`, `name`, `person_id` empty).
  public static let unidentifiedKind = "unidentified"

  /// The whole file.
  public static func text(_ report: ScreenTimeReport) -> String {
    var rows = [columns]
    for entry in report.identities {
      rows.append(
        [
          identityKind, entry.identityID, entry.name ?? "", entry.personID ?? "",
          number(entry.seconds), number(entry.share), String(entry.numTracks),
          number(entry.firstSeenSeconds), number(entry.lastSeenSeconds),
        ])
    }
    let other = report.unidentified
    rows.append(
      [
        unidentifiedKind, "", "", "", number(other.seconds), number(other.share),
        String(other.numTracks), "", "",
      ])
    return rows.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
  }

  /// A field as RFC 4180 writes it: quoted, with quotes doubled, when it holds `,`, `"`, CR or
  /// LF; as it is otherwise.
  public static func field(_ value: String) -> String {
    let special = value.unicodeScalars.contains { "\",\r\n".unicodeScalars.contains($0) }
    guard special else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// A number in its shortest form that reads back exactly, always with a decimal point or an
  /// exponent (`3.0`), so pandas reads the column as floats.
  public static func number(_ value: Double) -> String {
    "\(value)"
  }
}
