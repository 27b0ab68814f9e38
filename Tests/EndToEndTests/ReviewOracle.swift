import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The review API of a running `faceharvest-server`, as the review page calls it.
struct ReviewAPI {
  let base: URL
  let episode: String

  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  /// The JSON answer of `method path`; a status other than 2xx throws with the server's detail.
  func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
    var request = URLRequest(url: base.appendingPathComponent("episodes/\(episode)/\(path)"))
    request.httpMethod = method
    if let body {
      request.httpBody = try JSONSerialization.data(withJSONObject: body)
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    guard (200..<300).contains(status) else {
      throw Failure(
        description: "\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))")
    }
    return try JSONSerialization.jsonObject(with: data)
  }
}

/// What a review cost: identities looked at to judge where a track belongs, edits (moves,
/// merges, splits) and rejections (docs/review_app.md, "Reviewer effort").
struct ReviewEffort: Equatable, CustomStringConvertible {
  var judgements = 0
  var edits = 0
  var rejections = 0
  /// Everything a person did: each judgement, edit and rejection is one action.
  var actions: Int { judgements + edits + rejections }

  var description: String {
    "\(actions) actions (\(judgements) judgements, \(edits) edits, \(rejections) rejections)"
  }
}

/// A reviewer who knows the ground truth (track → person) and drives the HTTP API until every
/// track is in the right identity (docs/review_app.md, "Reviewer effort"): one identity per
/// person, holding exactly that person's tracks.
struct ReviewOracle {
  let api: ReviewAPI
  let truth: [String: String]

  /// The identities (in the page's order) and the unidentified tracks, as written now.
  struct State {
    var identities: [(id: String, tracks: [String])]
    var unidentified: [String]
  }

  func state() async throws -> State {
    let document = try await api.call("GET", "identities") as? [String: Any] ?? [:]
    let identities = (document["identities"] as? [[String: Any]] ?? []).map {
      (id: $0["identity_id"] as? String ?? "", tracks: $0["track_ids"] as? [String] ?? [])
    }
    let metadata = document["metadata"] as? [String: Any] ?? [:]
    let unidentified = (metadata["unidentified_tracks"] as? [[String: Any]] ?? []).compactMap {
      $0["track_id"] as? String
    }
    return State(identities: identities, unidentified: unidentified)
  }

  /// The person most of `tracks` are (ties: the first by name); nil for none.
  func person(of tracks: [String]) -> String? {
    let counts = Dictionary(grouping: tracks.compactMap { truth[$0] }, by: { $0 })
    return counts.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }?.key
  }

  /// Whether every identity is one person, no person has two, and every track is placed.
  func isExact(_ state: State) -> Bool {
    var seen = Set<String>()
    for identity in state.identities {
      let people = Set(identity.tracks.compactMap { truth[$0] })
      guard people.count == 1, let person = people.first, seen.insert(person).inserted else {
        return false
      }
    }
    return state.unidentified.allSatisfy { truth[$0] == nil }
  }

  /// Each person's identity: the one of which they are the majority holding most of their
  /// tracks (the earlier on the page among equals).
  func homes(_ state: State) -> [String: String] {
    var best: [String: (id: String, count: Int)] = [:]
    for identity in state.identities {
      guard let person = person(of: identity.tracks) else { continue }
      let count = identity.tracks.filter { truth[$0] == person }.count
      if count > (best[person]?.count ?? 0) { best[person] = (identity.id, count) }
    }
    return best.mapValues(\.id)
  }

  /// Review without suggestions: a person finds where each track belongs by looking through
  /// the identities in page order (one judgement per identity looked at) and edits it there.
  func reviewManually(_ effort: inout ReviewEffort) async throws {
    for _ in 0..<1000 {
      let state = try await state()
      if isExact(state) { return }
      try await fixOne(state, &effort)
    }
    throw ReviewAPI.Failure(description: "no exact identities after 1000 edits")
  }

  /// One manual edit: a whole identity of a person merged into their identity, else one
  /// misplaced track moved there, else a person with no identity given one (split).
  private func fixOne(_ state: State, _ effort: inout ReviewEffort) async throws {
    let homes = homes(state)
    let rank = Dictionary(
      uniqueKeysWithValues: state.identities.enumerated().map { ($1.id, $0 + 1) })
    for identity in state.identities {
      let people = Set(identity.tracks.compactMap { truth[$0] })
      if people.count == 1, let person = people.first, let home = homes[person], home != identity.id
      {
        effort.judgements += rank[home]!
        effort.edits += 1
        _ = try await api.call("POST", "identities/merge", ["kept": home, "absorbed": identity.id])
        return
      }
    }
    let placed = state.identities.flatMap { identity in identity.tracks.map { ($0, identity.id) } }
    for (track, owner) in placed + state.unidentified.map({ ($0, "") }) {
      guard let person = truth[track] else { continue }
      if let home = homes[person] {
        guard home != owner else { continue }
        effort.judgements += rank[home]!
        effort.edits += 1
        _ = try await api.call("POST", "tracks/\(track)/move", ["to": home])
        return
      }
      // Nobody holds this person: the reviewer looks through every identity, then makes one.
      effort.judgements += state.identities.count
      if owner.isEmpty, let first = state.identities.first {
        effort.edits += 1
        _ = try await api.call("POST", "tracks/\(track)/move", ["to": first.id, "force": true])
      }
      effort.edits += 1
      _ = try await api.call("POST", "tracks/\(track)/split", [:])
      return
    }
    throw ReviewAPI.Failure(description: "not exact, yet nothing to fix")
  }

  /// Review by suggestion: the first suggestion on the page each time; its candidates are
  /// judged in order until the right one, which is accepted, or all are rejected at once. When
  /// none is left, the rest is done by hand.
  func reviewBySuggestion(_ effort: inout ReviewEffort) async throws {
    for _ in 0..<1000 {
      let state = try await state()
      if isExact(state) { return }
      let suggestions = try await api.call("GET", "suggestions") as? [String: Any] ?? [:]
      let subjects = (suggestions["subjects"] as? [[String: Any]] ?? []).filter {
        !($0["candidates"] as? [[String: Any]] ?? []).isEmpty
      }
      let tracksOf = Dictionary(uniqueKeysWithValues: state.identities.map { ($0.id, $0.tracks) })
      if let subject = subjects.first {
        try await decide(subject, tracksOf: tracksOf, &effort)
      } else if let pair = (suggestions["pairs"] as? [[String: Any]])?.first,
        let ids = pair["identity_ids"] as? [String], ids.count == 2
      {
        effort.judgements += 1
        if let person = person(of: tracksOf[ids[0]] ?? []),
          person == self.person(of: tracksOf[ids[1]] ?? [])
        {
          effort.edits += 1
          _ = try await api.call("POST", "identities/merge", ["kept": ids[0], "absorbed": ids[1]])
        } else {
          effort.rejections += 1
          _ = try await api.call(
            "POST", "suggestions/reject", ["subject": ids[1], "identity_ids": [ids[0]]])
        }
      } else {
        try await fixOne(state, &effort)
      }
    }
    throw ReviewAPI.Failure(description: "no exact identities after 1000 suggestions")
  }

  private func decide(
    _ subject: [String: Any], tracksOf: [String: [String]], _ effort: inout ReviewEffort
  ) async throws {
    let id = subject["id"] as? String ?? ""
    let candidates = (subject["candidates"] as? [[String: Any]] ?? []).compactMap {
      $0["identity_id"] as? String
    }
    let person = person(of: subject["track_ids"] as? [String] ?? [])
    for candidate in candidates {
      effort.judgements += 1
      guard let person, self.person(of: tracksOf[candidate] ?? []) == person else { continue }
      effort.edits += 1
      if subject["kind"] as? String == "track" {
        _ = try await api.call("POST", "tracks/\(id)/move", ["to": candidate])
      } else {
        _ = try await api.call("POST", "identities/merge", ["kept": candidate, "absorbed": id])
      }
      return
    }
    effort.rejections += 1
    _ = try await api.call(
      "POST", "suggestions/reject", ["subject": id, "identity_ids": candidates])
  }
}
