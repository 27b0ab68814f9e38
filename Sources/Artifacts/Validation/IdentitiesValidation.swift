import Foundation

/// `identities.json`: ids, tracks in one identity each, and coverage (docs/artifacts.md,
/// "Validation").
extension ValidationRun {
  // MARK: identities.json

  mutating func validateIdentities(_ document: JSONValue, at location: Location) {
    guard
      let members = checker.checkObject(document, rules: ArtifactSchemas.identities, at: location),
      let identities = members["identities"]?.arrayValue
    else { return }
    var identityIndex: [String: Int] = [:]
    var owner: [String: (index: Int, id: String)] = [:]
    for (index, identity) in identities.enumerated() {
      guard case .object(let fields) = identity else { continue }
      let prefix = "identities[\(index)]"
      let id = fields["identity_id"]?.stringValue ?? "?"
      if fields["identity_id"]?.stringValue != nil {
        if let first = identityIndex[id] {
          checker.report(
            location, field: "\(prefix).identity_id", value: JSONValue.quoted(id),
            "duplicate identity_id (first at identities[\(first)])")
        } else {
          identityIndex[id] = index
        }
      }
      guard let trackIDs = fields["track_ids"]?.arrayValue else { continue }
      if let count = fields["embedding_stats"]?["num_tracks"]?.intValue, count != trackIDs.count {
        checker.report(
          location, field: "\(prefix).embedding_stats.num_tracks", value: String(count),
          "must equal the number of track_ids (\(trackIDs.count))")
      }
      for (position, value) in trackIDs.enumerated() {
        guard let trackID = value.stringValue, ArtifactID.isValidTrackID(trackID) else {
          continue
        }
        let field = "\(prefix).track_ids[\(position)]"
        if let tracks, tracks[trackID] == nil {
          checker.report(
            location, field: field, value: JSONValue.quoted(trackID), "not in tracks.jsonl")
        }
        if let previous = owner[trackID] {
          let message =
            previous.index == index
            ? "listed twice in this identity"
            : "already in identities[\(previous.index)] (\(previous.id)); "
              + "a track belongs to one identity"
          checker.report(location, field: field, value: JSONValue.quoted(trackID), message)
        } else {
          owner[trackID] = (index, id)
        }
      }
    }
    checkCoverage(members["metadata"], owners: Set(owner.keys), at: location)
    checkRejectedPairs(members["metadata"]?["rejected_pairs"], at: location)
  }

  /// `metadata.rejected_pairs` (docs/identities.md, "Review by suggestion"): pairs of two
  /// different tracks of `tracks.jsonl`.
  mutating func checkRejectedPairs(_ pairs: JSONValue?, at location: Location) {
    guard let pairs else { return }
    guard let entries = pairs.arrayValue else {
      checker.report(
        location, field: "metadata.rejected_pairs", value: "", "must be an array of track pairs")
      return
    }
    for (index, entry) in entries.enumerated() {
      let field = "metadata.rejected_pairs[\(index)]"
      let ids = entry.arrayValue?.compactMap(\.stringValue) ?? []
      guard entry.arrayValue?.count == 2, ids.count == 2, ids[0] != ids[1],
        ids.allSatisfy(ArtifactID.isValidTrackID)
      else {
        checker.report(location, field: field, value: "", "must be two different track ids")
        continue
      }
      for id in ids where tracks != nil && tracks?[id] == nil {
        checker.report(location, field: field, value: JSONValue.quoted(id), "not in tracks.jsonl")
      }
    }
  }

  /// `metadata.unidentified_tracks` and the identities together hold every track of
  /// `tracks.jsonl` exactly once (docs/identities.md, "Coverage"). The list is this project's
  /// extension: a file without it follows the spec's own schema and is valid; how many tracks it
  /// leaves in no identity is noted, not reported (docs/artifacts.md, "Validation").
  mutating func checkCoverage(_ metadata: JSONValue?, owners: Set<String>, at location: Location) {
    guard let entries = metadata?["unidentified_tracks"]?.arrayValue else {
      noteUnlisted(owners: owners, at: location)
      return
    }
    let reasons = Set(UnidentifiedTrack.Reason.allCases.map(\.rawValue))
    var listed: [String: Int] = [:]
    for (index, entry) in entries.enumerated() {
      let field = "metadata.unidentified_tracks[\(index)]"
      guard let trackID = entry["track_id"]?.stringValue else {
        checker.report(location, field: field + ".track_id", value: "", "missing")
        continue
      }
      let reason = entry["reason"]?.stringValue ?? ""
      if !reasons.contains(reason) {
        checker.report(
          location, field: field + ".reason", value: JSONValue.quoted(reason),
          "must be one of " + reasons.sorted().joined(separator: ", "))
      }
      if let first = listed[trackID] {
        checker.report(
          location, field: field + ".track_id", value: JSONValue.quoted(trackID),
          "listed twice (first at unidentified_tracks[\(first)])")
      } else if owners.contains(trackID) {
        checker.report(
          location, field: field + ".track_id", value: JSONValue.quoted(trackID),
          "is in an identity; a track is either identified or unidentified")
      } else if let tracks, tracks[trackID] == nil {
        checker.report(
          location, field: field + ".track_id", value: JSONValue.quoted(trackID),
          "not in tracks.jsonl")
      }
      listed[trackID] = listed[trackID] ?? index
    }
    guard let tracks else { return }
    let missing = tracks.keys.filter {
      ArtifactID.isValidTrackID($0) && !owners.contains($0) && listed[$0] == nil
    }.sorted()
    if !missing.isEmpty {
      checker.report(
        location, field: "metadata.unidentified_tracks", value: "",
        "\(missing.count) track(s) of tracks.jsonl are in no identity and not listed here: "
          + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : ""))
    }
  }

  /// The note for an `identities.json` without `metadata.unidentified_tracks`.
  mutating func noteUnlisted(owners: Set<String>, at location: Location) {
    let inNone = tracks.map { tracks in
      tracks.keys.filter { ArtifactID.isValidTrackID($0) && !owners.contains($0) }.count
    }
    notes.append(
      "\(location.artifact): no metadata.unidentified_tracks (the spec's schema): "
        + (inNone.map { "\($0) of \(tracks?.count ?? 0) track(s) are in no identity" }
          ?? "tracks.jsonl is absent, so tracks in no identity are not counted"))
  }
}
