public import Artifacts
import Identities

/// One episode of a show as the season report reads it: its identities and screen time (either
/// nil when absent).
public struct SeasonEpisodeInput: Sendable {
  /// The episode.
  public var episode: String
  /// `identities.json`.
  public var identities: IdentitiesDocument?
  /// `screentime.json`.
  public var screenTime: ScreenTimeReport?
  /// Why the episode's files could not be read; nil when they could.
  public var problem: String?

  /// An episode's inputs.
  public init(
    episode: String, identities: IdentitiesDocument?, screenTime: ScreenTimeReport?,
    problem: String? = nil
  ) {
    self.episode = episode
    self.identities = identities
    self.screenTime = screenTime
    self.problem = problem
  }
}

/// Builds the season report from the episodes' files (docs/screentime.md, "Season report").
/// Pure: the same inputs give the same report.
///
/// An identity counts for a person when it has a human label: its `person_id`, or its `name`
/// when it has none (a suggestion not yet accepted is not a label). A person's seconds in an
/// episode are the sum of their identities' `seconds` in `screentime.json`; identities with no
/// human label are summed as `unnamed`, and the unidentified total is its own row. Every
/// registered person, and every person labelled in any episode, has a row in every episode
/// with screen time (0 when absent), so the rows are a full people × episodes table.
public struct SeasonReportBuilder: Sendable {
  /// The show.
  public var showID: String
  /// Registered people (`shows/{show_id}/people.json`): person id → name.
  public var registeredNames: [String: String]

  /// A builder for `showID` with the registry's names.
  public init(showID: String, registeredNames: [String: String]) {
    self.showID = showID
    self.registeredNames = registeredNames
  }

  /// One episode's seconds: (seconds, identities) per person and for the unnamed.
  struct EpisodeTable {
    var episode: SeasonEpisode
    var seconds: [PersonKey: (Double, Int)]
    var unnamed: (Double, Int)
    var unidentified: Double
  }

  /// A person as labels name them: by `person_id`, or by `name` when there is no id.
  struct PersonKey: Hashable, Comparable {
    var personID: String
    var name: String

    static func < (lhs: PersonKey, rhs: PersonKey) -> Bool {
      (lhs.personID, lhs.name) < (rhs.personID, rhs.name)
    }
  }

  /// The person an identity's human label names; nil for none (a suggestion is none).
  static func person(of labels: [String: String]) -> PersonKey? {
    guard PeopleMatcher.isHumanLabel(labels) else { return nil }
    let personID = labels["person_id"] ?? ""
    // A person id names the person; a name alone does when there is no id.
    return PersonKey(personID: personID, name: personID.isEmpty ? labels["name"] ?? "" : "")
  }

  /// The report of `inputs` (any order).
  public func report(_ inputs: [SeasonEpisodeInput]) -> SeasonReport {
    let sorted = inputs.sorted { $0.episode < $1.episode }
    var episodes: [SeasonEpisode] = []
    var tables: [EpisodeTable] = []
    var labelNames: [PersonKey: String] = [:]
    for input in sorted {
      let episode = Self.summary(input)
      episodes.append(episode)
      guard episode.status == Self.ok, let identities = input.identities,
        let screenTime = input.screenTime
      else { continue }
      var seconds: [PersonKey: (Double, Int)] = [:]
      var unnamed = (0.0, 0)
      let entries = Dictionary(
        screenTime.identities.map { ($0.identityID, $0.seconds) }, uniquingKeysWith: { a, _ in a })
      for identity in identities.identities {
        let value = entries[identity.identityID] ?? 0
        if let key = Self.person(of: identity.labels) {
          let current = seconds[key] ?? (0, 0)
          seconds[key] = (current.0 + value, current.1 + 1)
          if let name = identity.labels["name"], !name.isEmpty { labelNames[key] = name }
        } else {
          unnamed = (unnamed.0 + value, unnamed.1 + 1)
        }
      }
      tables.append(
        EpisodeTable(
          episode: episode, seconds: seconds, unnamed: unnamed,
          unidentified: screenTime.unidentified.seconds))
    }
    var people = Set(tables.flatMap { $0.seconds.keys })
    for personID in registeredNames.keys { people.insert(PersonKey(personID: personID, name: "")) }
    func name(_ key: PersonKey) -> String {
      if !key.personID.isEmpty, let registered = registeredNames[key.personID] { return registered }
      return labelNames[key] ?? (key.personID.isEmpty ? key.name : key.personID)
    }
    func share(_ seconds: Double, _ duration: Double) -> Double {
      duration > 0 ? Self.rounded(seconds / duration) : 0
    }
    var totals: [PersonKey: Double] = [:]
    for table in tables { for (key, value) in table.seconds { totals[key, default: 0] += value.0 } }
    let order = people.sorted { (-(totals[$0] ?? 0), $0) < (-(totals[$1] ?? 0), $1) }
    var rows: [SeasonRow] = []
    for key in order {
      for table in tables {
        let value = table.seconds[key] ?? (0, 0)
        rows.append(
          SeasonRow(
            kind: .person, personID: key.personID, name: name(key), epID: table.episode.epID,
            seconds: Self.rounded(value.0), share: share(value.0, table.episode.durationSeconds),
            identities: value.1))
      }
    }
    for table in tables {
      rows.append(
        SeasonRow(
          kind: .unnamed, personID: "", name: "unnamed", epID: table.episode.epID,
          seconds: Self.rounded(table.unnamed.0),
          share: share(table.unnamed.0, table.episode.durationSeconds),
          identities: table.unnamed.1))
    }
    for table in tables {
      rows.append(
        SeasonRow(
          kind: .unidentified, personID: "", name: "unidentified", epID: table.episode.epID,
          seconds: Self.rounded(table.unidentified),
          share: share(table.unidentified, table.episode.durationSeconds), identities: 0))
    }
    let duration = tables.reduce(0) { $0 + $1.episode.durationSeconds }
    return SeasonReport(
      showID: showID, episodes: episodes, rows: rows,
      totals: Self.totals(of: rows, duration: duration))
  }

  /// One total per (kind, person id, name) of `rows`, in the rows' order.
  static func totals(of rows: [SeasonRow], duration: Double) -> [SeasonTotal] {
    var totals: [SeasonTotal] = []
    var index: [String: Int] = [:]
    for row in rows {
      let key = "\(row.kind.rawValue)\u{0}\(row.personID)\u{0}\(row.name)"
      if index[key] == nil {
        index[key] = totals.count
        totals.append(
          SeasonTotal(
            kind: row.kind, personID: row.personID, name: row.name, seconds: 0, share: 0,
            episodes: 0))
      }
      let at = index[key]!
      totals[at].seconds += row.seconds
      if row.seconds > 0 { totals[at].episodes += 1 }
    }
    for at in totals.indices {
      totals[at].seconds = rounded(totals[at].seconds)
      totals[at].share = duration > 0 ? rounded(totals[at].seconds / duration) : 0
    }
    return totals
  }

  /// The `status` of an episode with rows.
  public static let ok = "ok"

  /// The episode's entry: its status and review counts.
  static func summary(_ input: SeasonEpisodeInput) -> SeasonEpisode {
    if let problem = input.problem {
      return SeasonEpisode(epID: input.episode, status: "unreadable: \(problem)")
    }
    guard let identities = input.identities else {
      return SeasonEpisode(epID: input.episode, status: "no identities.json: run --cluster")
    }
    guard let screenTime = input.screenTime else {
      return SeasonEpisode(epID: input.episode, status: "no screentime.json: run --cluster")
    }
    let ids = Set(identities.identities.map(\.identityID))
    guard Set(screenTime.identities.map(\.identityID)) == ids else {
      return SeasonEpisode(
        epID: input.episode,
        status: "screentime.json and identities.json name different identities: run --cluster")
    }
    let labelled = identities.identities.filter { PeopleMatcher.isHumanLabel($0.labels) }.count
    let suggested = identities.identities.filter { PeopleMatcher.isSuggestion($0.labels) }.count
    let unreviewed = identities.identities.filter {
      PeopleMatcher.isSuggestion($0.labels) || !($0.locked || PeopleMatcher.isHumanLabel($0.labels))
    }
    return SeasonEpisode(
      epID: input.episode, status: ok, durationSeconds: screenTime.durationSeconds,
      identities: ids.count, labelled: labelled, suggested: suggested,
      reviewed: unreviewed.isEmpty)
  }

  /// Rounded to the microsecond, as the episodes' screen time is.
  static func rounded(_ value: Double) -> Double {
    (value * 1_000_000).rounded() / 1_000_000
  }
}
