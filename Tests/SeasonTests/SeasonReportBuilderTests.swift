import Artifacts
import Foundation
import Testing

@testable import Season

@Suite("Season report: people × episodes from the episodes' screen time")
struct SeasonReportBuilderTests {
  static func identity(_ number: Int, labels: [String: String] = [:], locked: Bool = false)
    -> Identity
  {
    Identity(
      identityID: ArtifactID.identity(number), clusterID: nil, trackIDs: [ArtifactID.track(number)],
      canonicalFacePath: "",
      embeddingStats: EmbeddingStats(centroidNorm: 1, variance: 0, numTracks: 1, numFacesTotal: 1),
      labels: labels, locked: locked, createdAt: "t0", updatedAt: "t0")
  }

  /// An episode of `duration` seconds whose identity i has `seconds[i]`.
  static func episode(
    _ id: String, duration: Double, _ identities: [(Identity, Double)], unidentified: Double = 0
  ) -> SeasonEpisodeInput {
    let document = IdentitiesDocument(
      identities: identities.map(\.0),
      metadata: IdentitiesMetadata(
        epID: id, numTracks: identities.count, numClusters: 0, numSingletons: identities.count,
        singletonFraction: 1, largestClusterSize: 1, largestClusterFraction: 1,
        clusterThresh: 0.4, minClusterSize: 1, algorithm: "agglomerative", linkage: "average",
        createdAt: "t0"))
    let report = ScreenTimeReport(
      epID: id, durationSeconds: duration, frameStepSeconds: 0.04, gapSeconds: 0.5,
      cutsKnown: true, timingSource: "track_metrics.json",
      identities: identities.map { identity, seconds in
        ScreenTimeEntry(
          identityID: identity.identityID, name: identity.labels["name"],
          personID: identity.labels["person_id"], seconds: seconds, share: seconds / duration,
          numTracks: 1, firstSeenSeconds: 0, lastSeenSeconds: seconds)
      },
      unidentified: UnidentifiedScreenTime(
        seconds: unidentified, share: unidentified / duration, numTracks: 1))
    return SeasonEpisodeInput(episode: id, identities: document, screenTime: report)
  }

  static let ann = ["name": "Ann", "person_id": "ann"]
  static let bob = ["name": "Bob", "person_id": "bob"]

  @Test("a person's seconds are the sum of their identities' in each episode; a full table")
  func sums() {
    let builder = SeasonReportBuilder(
      showID: "show", registeredNames: ["ann": "Ann Smith", "cid": "Cid"])
    let report = builder.report([
      Self.episode(
        "show-s01e02", duration: 100,
        [(Self.identity(1, labels: Self.bob), 30), (Self.identity(2), 5)], unidentified: 7),
      Self.episode(
        "show-s01e01", duration: 50,
        [
          (Self.identity(1, labels: Self.ann), 10), (Self.identity(2, labels: Self.ann), 2.5),
          (Self.identity(3, labels: ["name": "Dee"]), 4),
          (
            Self.identity(
              4,
              labels: ["name": "Bob", "person_id": "bob", "source": "people", "similarity": "0.5"]),
            20
          ),
        ]),
    ])
    #expect(report.episodes.map(\.epID) == ["show-s01e01", "show-s01e02"])
    func row(_ who: String, _ episode: String) -> SeasonRow? {
      report.rows.first {
        ($0.personID.isEmpty ? $0.name : $0.personID) == who && $0.epID == episode
      }
    }
    // Ann's two identities add up; the registry's name wins over the label's.
    #expect(row("ann", "show-s01e01")?.seconds == 12.5)
    #expect(row("ann", "show-s01e01")?.identities == 2)
    #expect(row("ann", "show-s01e01")?.name == "Ann Smith")
    #expect(row("ann", "show-s01e01")?.share == 0.25)
    // A suggestion not yet accepted is unnamed; a name without id is a person.
    #expect(row("bob", "show-s01e01")?.seconds == 0)
    #expect(row("Dee", "show-s01e01")?.seconds == 4)
    #expect(row("unnamed", "show-s01e01")?.seconds == 20)
    #expect(row("unnamed", "show-s01e02")?.seconds == 5)
    #expect(row("unidentified", "show-s01e02")?.seconds == 7)
    // Every person in every episode, registered or labelled anywhere.
    #expect(row("cid", "show-s01e02")?.seconds == 0 && row("cid", "show-s01e02")?.name == "Cid")
    #expect(report.rows.count == 4 * 2 + 2 + 2)
    // Persons by total seconds: Bob 30, Ann 12.5, Dee 4, Cid 0.
    let people = report.totals.filter { $0.kind == .person }
    #expect(people.map(\.personID) == ["bob", "ann", "", "cid"])
    #expect(people.map(\.seconds) == [30, 12.5, 4, 0])
    #expect(people.map(\.episodes) == [1, 1, 1, 0])
    #expect(people[0].share == 0.2)
    // Review state: a pending suggestion or an unlabelled, unlocked identity is unreviewed.
    #expect(report.episodes.map(\.suggested) == [1, 0])
    #expect(report.episodes.map(\.labelled) == [3, 1])
    #expect(report.episodes.map(\.reviewed) == [false, false])
  }

  @Test("an episode without screen time, or with files of two runs, is listed and has no rows")
  func episodesWithoutRows() {
    var stale = Self.episode("show-s01e03", duration: 10, [(Self.identity(1), 3)])
    stale.identities?.identities.append(Self.identity(2))
    let report = SeasonReportBuilder(showID: "show", registeredNames: [:]).report([
      SeasonEpisodeInput(episode: "show-s01e01", identities: nil, screenTime: nil),
      SeasonEpisodeInput(
        episode: "show-s01e04", identities: nil, screenTime: nil, problem: "bad JSON at line 3"),
      Self.episode("show-s01e02", duration: 10, [(Self.identity(1, locked: true), 3)]), stale,
    ])
    #expect(
      report.episodes.map(\.status) == [
        "no identities.json: run --cluster", "ok",
        "screentime.json and identities.json name different identities: run --cluster",
        "unreadable: bad JSON at line 3",
      ])
    #expect(report.episodes[1].reviewed)
    #expect(Set(report.rows.map(\.epID)) == ["show-s01e02"])
  }

  @Test("the CSV holds the rows in the JSON's order, RFC 4180 quoted")
  func csv() {
    let report = SeasonReportBuilder(showID: "show", registeredNames: [:]).report([
      Self.episode(
        "show-s01e01", duration: 10,
        [(Self.identity(1, labels: ["name": "Smith, Jo \"JJ\"", "person_id": "jo"]), 2)])
    ])
    let lines = SeasonCSV.text(report).components(separatedBy: "\r\n")
    #expect(lines[0] == "show_id,kind,person_id,name,ep_id,seconds,share,identities")
    #expect(lines[1] == "show,person,jo,\"Smith, Jo \"\"JJ\"\"\",show-s01e01,2.0,0.2,1")
    #expect(lines[2] == "show,unnamed,,unnamed,show-s01e01,0.0,0.0,0")
    #expect(lines[3] == "show,unidentified,,unidentified,show-s01e01,0.0,0.0,0")
    #expect(lines.count == 5 && lines[4].isEmpty)
  }
}
