import Foundation

/// `screentime.json` and `screentime.csv` (docs/screentime.md): the field rules of
/// `ArtifactSchemas.screenTime`; seconds within the duration and `share` = seconds ÷ duration;
/// each identity once and in `identities.json` with the same number of tracks, and every
/// identity of `identities.json` present (otherwise the file is stale); the CSV beside the JSON
/// with the documented header. When `identities.json` itself has violations, screen time is not
/// compared with it (one fault, one report).
extension ValidationRun {
  /// The tolerance on seconds and shares, which the writer rounds to the microsecond.
  static let screenTimeTolerance = 1e-5

  mutating func validateScreenTime(identities: JSONValue?) {
    let url = layout.screentimeJSON(episode)
    checkScreenTimeCSV(jsonExists: exists(url))
    guard let document = readDocument(url) else { return }
    let location = Location(artifact: name(url), line: nil)
    guard
      let members = checker.checkObject(document, rules: ArtifactSchemas.screenTime, at: location)
    else { return }
    let duration = members["duration_s"]?.doubleValue
    let identitiesPath = name(layout.identities(episode))
    let identitiesBroken = checker.violations.contains { $0.artifact == identitiesPath }
    let tracksByIdentity = identitiesBroken ? nil : Self.trackCounts(identities)
    var seen = Set<String>()
    for (index, entry) in (members["identities"]?.arrayValue ?? []).enumerated() {
      guard case .object(let fields) = entry else { continue }
      let field = "identities[\(index)]"
      checkSeconds(fields, field: field, duration: duration, at: location)
      checkScreenTimeIdentity(
        fields, field: field, tracksByIdentity: tracksByIdentity, seen: &seen, at: location)
    }
    if case .object(let fields)? = members["unidentified"] {
      checkSeconds(fields, field: "unidentified", duration: duration, at: location)
    }
    guard let tracksByIdentity else {
      if identities == nil, !identitiesBroken, !seen.isEmpty {
        checker.report(
          location, field: "identities", "names identities, but identities.json is missing")
      }
      return
    }
    for id in tracksByIdentity.keys.sorted() where !seen.contains(id) {
      checker.report(
        location, field: "identities", value: JSONValue.quoted(id),
        "missing an identity of identities.json: the file is stale (run --cluster)")
    }
  }

  /// `seconds` ≤ `duration_s`, `share` = `seconds` ÷ `duration_s`, first ≤ last seen.
  mutating func checkSeconds(
    _ fields: [String: JSONValue], field: String, duration: Double?, at location: Location
  ) {
    guard let seconds = fields["seconds"]?.doubleValue, let duration else { return }
    if seconds > duration + Self.screenTimeTolerance {
      checker.report(
        location, field: "\(field).seconds", value: JSONValue.format(seconds),
        "must be ≤ duration_s (\(JSONValue.format(duration)))")
    }
    if let share = fields["share"]?.doubleValue, duration > 0,
      abs(share - seconds / duration) > Self.screenTimeTolerance
    {
      checker.report(
        location, field: "\(field).share", value: JSONValue.format(share),
        "must equal seconds ÷ duration_s (" + String(format: "%.6f", seconds / duration) + ")")
    }
    if let first = fields["first_seen_s"]?.doubleValue,
      let last = fields["last_seen_s"]?.doubleValue, first > last
    {
      checker.report(
        location, field: "\(field).first_seen_s", value: JSONValue.format(first),
        "must be ≤ last_seen_s (\(JSONValue.format(last)))")
    }
  }

  /// The identity appears once, is in `identities.json`, and has its number of tracks.
  mutating func checkScreenTimeIdentity(
    _ fields: [String: JSONValue], field: String, tracksByIdentity: [String: Int]?,
    seen: inout Set<String>, at location: Location
  ) {
    guard let id = fields["identity_id"]?.stringValue, ArtifactID.isValidIdentityID(id) else {
      return
    }
    guard seen.insert(id).inserted else {
      checker.report(
        location, field: "\(field).identity_id", value: JSONValue.quoted(id), "listed twice")
      return
    }
    guard let tracksByIdentity else { return }
    guard let tracks = tracksByIdentity[id] else {
      checker.report(
        location, field: "\(field).identity_id", value: JSONValue.quoted(id),
        "not in identities.json: the file is stale (run --cluster)")
      return
    }
    if let count = fields["num_tracks"]?.intValue, count != tracks {
      checker.report(
        location, field: "\(field).num_tracks", value: String(count),
        "must equal the identity's tracks in identities.json (\(tracks)): the file is stale")
    }
  }

  /// `screentime.csv` exists exactly when `screentime.json` does, and starts with the header.
  mutating func checkScreenTimeCSV(jsonExists: Bool) {
    let url = layout.screentimeCSV(episode)
    let artifact = name(url)
    let location = Location(artifact: artifact, line: nil)
    guard exists(url) else {
      absent.append(artifact)
      if jsonExists { checker.report(location, field: "", "missing, but screentime.json exists") }
      return
    }
    if !jsonExists {
      checker.report(location, field: "", "present, but screentime.json is missing")
    }
    let data: Data
    do {
      data = try FileIO.readAll(source(url), displayPath: artifact)
    } catch {
      checker.report(location, field: "", Self.reason(error, artifact))
      return
    }
    checked[artifact] = 1
    let header = ScreenTimeCSV.columns.joined(separator: ",")
    let first = String(decoding: data.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    if first.trimmingCharacters(in: .newlines) != header {
      checker.report(
        Location(artifact: artifact, line: 1), field: "", value: first,
        "the header row must be \(header)")
    }
  }

  /// Tracks per identity id in `identities.json`; `nil` when it is absent or unreadable.
  static func trackCounts(_ identities: JSONValue?) -> [String: Int]? {
    guard let list = identities?["identities"]?.arrayValue else { return nil }
    var counts: [String: Int] = [:]
    for identity in list {
      guard let id = identity["identity_id"]?.stringValue else { continue }
      counts[id] = identity["track_ids"]?.arrayValue?.count ?? 0
    }
    return counts
  }
}
