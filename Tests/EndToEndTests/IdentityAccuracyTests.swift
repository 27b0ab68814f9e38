import Artifacts
import FaceHarvestCore
import Foundation
import Testing

/// Who is on screen and when, at default settings, from the bare video: identity F1 against the
/// samples' exact ground truth (docs/identities.md, "Measuring it"), and coverage: every track
/// ends in an identity or in `unidentified_tracks` (validate checks that).
@Suite("identity accuracy and coverage, end to end", .serialized)
struct IdentityAccuracyTests {
  /// Runs the whole chain at defaults on `episode` and scores it.
  static func scoreFromBareVideo(_ episode: String) throws -> (IdentityScore, URL) {
    let root = try VideoFixtures.chainAtDefaults(episode: episode)
    let score = try IdentityScorer.score(
      root: root, episode: episode,
      truth: EpisodeRunProcess.repositoryRoot.appendingPathComponent(
        "data/ground_truth/\(episode)"))
    print("identity accuracy \(episode): \(score)")
    return (score, root)
  }

  @Test("sample-s01e01: identity F1 ≥ 0.95, every person in exactly one identity")
  func firstSample() throws {
    let (score, root) = try Self.scoreFromBareVideo("sample-s01e01")
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(score.f1 >= 0.95, "\(score)")
    #expect(score.precision >= 0.99, "\(score)")
    #expect(score.identitiesPerPerson.count == 5)
    #expect(score.identitiesPerPerson.values.allSatisfy { $0 == 1 }, "\(score)")
    #expect(score.identitiesOfNobody == 0)
  }

  /// The harder sample (small, turned, dark, blurred faces; painted and lamp bait), at the
  /// issue's target (docs/identities.md, "Measuring it"). Its 20–30 px faces are found by the
  /// small-face scan (docs/detect_track.md, "Small faces").
  @Test("sample-s01e02: identity F1 ≥ 0.95, precision ≥ 0.95, each person in one identity")
  func secondSample() throws {
    let (score, root) = try Self.scoreFromBareVideo("sample-s01e02")
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(score.f1 >= 0.95, "\(score)")
    #expect(score.precision >= 0.95, "\(score)")
    #expect(score.identitiesOfNobody == 0, "\(score)")
    #expect(score.identitiesPerPerson.count == 7)
    #expect(score.identitiesPerPerson.values.allSatisfy { $0 == 1 }, "\(score)")
    #expect(score.coverage.values.allSatisfy { $0 >= 0.7 }, "\(score)")
    Self.expectSizeBands(score)
  }

  /// The issue's targets split by face size (`SizeBands`), on the s01e02 family: on faces of
  /// 24 px and more identity F1 and precision ≥ 0.95 and every person's screen time within 5 %;
  /// smaller faces assigned with precision ≥ 0.95. Shot 7 (a 21 px motion blur over Simm's and
  /// the woman's 100 px faces, 0.22–0.30 like their own person, less than strangers reach) is a
  /// known miss (docs/identities.md, "Measuring it"): their two tracks stay `unmatched`.
  static func expectSizeBands(_ score: IdentityScore) {
    let bands = score.bands
    #expect(bands.f1 >= 0.95 && bands.precision >= 0.95, "\(bands)")
    #expect(bands.smallPrecision >= 0.95, "\(bands)")
    let blurred: Set = ["simm", "woman"]
    let errors = bands.screenTimeError
    #expect(
      errors.filter { !blurred.contains($0.key) }.allSatisfy { abs($0.value) <= 0.05 }, "\(bands)")
    // Shot 7 is about a quarter of each one's time: no worse than that.
    #expect(errors.filter { blurred.contains($0.key) }.allSatisfy { $0.value >= -0.3 }, "\(bands)")
    withKnownIssue("shot 7's motion-blurred faces stay unmatched") {
      #expect(
        errors.filter { blurred.contains($0.key) }.allSatisfy { abs($0.value) <= 0.05 },
        "\(bands)")
    }
  }

  @Test("with no face passing the spec's gates, probe faces alone still find the five people")
  func probesAlone() throws {
    let episode = "sample-s01e01"
    let root = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--faces-embed", "--save-crops", "--cluster",
      "--min-face-size", "4096",
    ])
    try #require(outcome.status == 0, "\(outcome.combined)")
    #expect(outcome.standardOutput.contains("faces kept from 0/13 tracks"))
    let manifests = root.appendingPathComponent("manifests/\(episode)")
    #expect(try VideoFixtures.rows(manifests.appendingPathComponent("faces.jsonl")).isEmpty)
    let probes = try VideoFixtures.rows(manifests.appendingPathComponent("probe_faces.jsonl"))
    let perTrack = Dictionary(grouping: probes) { $0["track_id"] as? String ?? "" }
    #expect(perTrack.count == 13 && perTrack.values.allSatisfy { (1...5).contains($0.count) })
    for probe in probes {
      let path = try #require(probe["crop_path"] as? String)
      #expect(path.contains("/probe_"), "\(path)")
      #expect(
        FileManager.default.fileExists(
          atPath: root.appendingPathComponent("frames/\(episode)/\(path)").path))
    }
    // The identities are exactly the ground truth's people.
    let truth = try EpisodeRunProcess.trackIdentities()
    let document = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("identities.json")))
        as? [String: Any])
    let groups = try #require(document["identities"] as? [[String: Any]]).map {
      Set($0["track_ids"] as? [String] ?? [])
    }
    let people = Dictionary(grouping: truth.keys, by: { truth[$0]! }).values.map(Set.init)
    #expect(Set(groups) == Set(people))
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  /// Low-resolution re-encodes of sample-s01e02 (docs/sample_episode.md): most faces under
  /// 64 px, wide shots at 10–20 px. Tiny tracks join their person only with clear evidence,
  /// else stay `too_small`; nobody is split, nothing of nobody is an identity.
  @Test(
    "sample-s01e02 at 720×400 and 640×360: precise, each person in one identity",
    arguments: ["sample-s01e02-720x400", "sample-s01e02-640x360"])
  func lowResolution(episode: String) throws {
    let (score, root) = try Self.scoreFromBareVideo(episode)
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(score.precision >= 0.95, "\(score)")
    #expect(score.identitiesOfNobody == 0, "\(score)")
    #expect(score.identitiesPerPerson.values.allSatisfy { $0 == 1 }, "\(score)")
    #expect(score.fragmentation <= 1.05, "\(score)")
    Self.expectSizeBands(score)
  }

  /// The dense bench episode (docs/sample_episode.md): 46 people, 4.1 faces a frame, crowds of
  /// 16–40 px faces, many people seen only in probe faces. Smaller faces are assigned with clear
  /// evidence only, and no identity is made of bait. The issue's targets for faces of 24 px and
  /// more (F1 ≥ 0.97, screen time within 5 %) are not met here: strangers seen only at 50–75 px
  /// resemble other people's identities as much as degraded views resemble their own (README,
  /// "Identity accuracy").
  @Test("dense episode: small faces assigned precisely, no identity of bait")
  func dense() throws {
    let (score, root) = try Self.scoreFromBareVideo("dense-s01e01")
    defer { try? FileManager.default.removeItem(at: root) }
    let bands = score.bands
    #expect(bands.smallPrecision >= 0.95, "\(bands)")
    #expect(score.identitiesOfNobody == 0, "\(score)")
    #expect(bands.smallAssignedSeconds > 0, "\(bands)")
    // Where it stands (README, "Identity accuracy"): no worse than this ...
    #expect(bands.precision >= 0.9 && bands.f1 >= 0.82, "\(bands)")
    // ... and short of the issue's targets.
    withKnownIssue("open-set strangers and blurred probe tracks: F1 on faces of 24 px and more") {
      #expect(bands.f1 >= 0.97, "\(bands)")
    }
    withKnownIssue("open-set strangers and blurred probe tracks: screen time per person") {
      #expect(bands.worstScreenTimeError <= 0.05, "\(bands)")
    }
  }

  /// The walk-in episode (docs/sample_episode.md): five people walk in and across a 720×400
  /// frame at 20–60 px, some cut by the frame edge, 3.4 faces a frame. At the default 8
  /// frames/s every trajectory is one track (the motion association; docs/detect_track.md), and
  /// screen time per person is within 5 % of the truth.
  @Test("walk-in at 720×400: every trajectory one track, screen time within 5 % per person")
  func walkIn() throws {
    let (score, root) = try Self.scoreFromBareVideo("walkin-s01e01")
    defer { try? FileManager.default.removeItem(at: root) }
    #expect(score.trajectoriesFollowed == score.trajectories, "\(score)")
    #expect(score.fragmentation == 1, "\(score)")
    #expect(score.f1 >= 0.95 && score.precision >= 0.95, "\(score)")
    #expect(score.identitiesOfNobody == 0, "\(score)")
    #expect(score.identitiesPerPerson.count == 5)
    #expect(score.identitiesPerPerson.values.allSatisfy { $0 == 1 }, "\(score)")
    #expect(score.coverage.values.allSatisfy { $0 >= 0.9 }, "\(score)")
    #expect(score.worstScreenTimeError <= 0.05, "\(score)")
    try Self.expectProbesByNeed(root: root, episode: "walkin-s01e01")
  }

  /// The dense episode re-encoded at 720×400 (docs/sample_episode.md): the crowded
  /// low-resolution proxy, its crowds at 9–22 px. Faces of 24 px and more stay precise; the
  /// crowds' tiny faces are where SFace cannot tell strangers apart (README, "Identity
  /// accuracy"): a known issue against the issue's small-face precision target.
  @Test("dense episode at 720×400: precise on faces of 24 px and more, no identity of bait")
  func denseLowResolution() throws {
    let (score, root) = try Self.scoreFromBareVideo("dense-s01e01-720x400")
    defer { try? FileManager.default.removeItem(at: root) }
    let bands = score.bands
    #expect(score.identitiesOfNobody == 0, "\(score)")
    #expect(bands.precision >= 0.95 && bands.f1 >= 0.84, "\(bands)")
    #expect(bands.smallPrecision >= 0.5, "\(bands)")
    withKnownIssue("tiny crowd faces of different people are as alike as one person's") {
      #expect(bands.smallPrecision >= 0.95, "\(bands)")
    }
    withKnownIssue("open-set strangers and blurred probe tracks: F1 on faces of 24 px and more") {
      #expect(bands.f1 >= 0.97, "\(bands)")
    }
  }

  /// Probes by need (docs/harvest.md): each track's embedded probes are its best ones (ranks
  /// 1…k of `track_probes`); a track cut short embedded exactly `probe_embed_first` (3) that
  /// agree (mean pairwise similarity ≥ 0.5), and a track embedded in full past 3 had first
  /// ones that disagree. Some track must have been cut short.
  static func expectProbesByNeed(root: URL, episode: String) throws {
    let manifests = root.appendingPathComponent("manifests/\(episode)")
    let rows = try VideoFixtures.rows(manifests.appendingPathComponent("probe_faces.jsonl"))
    let vectors = try NPYMatrix.read(
      from: root.appendingPathComponent("embeds/\(episode)/probe_faces.npy"))
    try #require(vectors.rows == rows.count)
    var byTrack: [String: [(rank: Int, of: Int, vector: [Float])]] = [:]
    for (index, row) in rows.enumerated() {
      let rank = try #require(row["probe_rank"] as? Int)
      let of = try #require(row["track_probes"] as? Int)
      byTrack[row["track_id"] as? String ?? "", default: []].append(
        (rank, of, Array(vectors.row(index))))
    }
    var cutShort = 0
    for (track, probes) in byTrack {
      let sorted = probes.sorted { $0.rank < $1.rank }
      let total = sorted[0].of
      #expect(sorted.map(\.rank) == Array(1...sorted.count), "\(track)")
      #expect(sorted.allSatisfy { $0.of == total } && sorted.count <= total, "\(track)")
      let agreement = meanPairwiseCosine(sorted.prefix(3).map(\.vector)) ?? 0
      if sorted.count < total {
        cutShort += 1
        #expect(sorted.count == 3 && agreement >= 0.5, "\(track): \(agreement)")
      } else if total > 3 {
        #expect(agreement < 0.5, "\(track): \(agreement)")
      }
    }
    #expect(cutShort > 0)
  }
}
