import Foundation
import Testing

@testable import Artifacts

extension ExpectedViolation {
  /// A violation of `screentime.json` at `field`.
  static func screenTime(_ field: String, _ message: String) -> ExpectedViolation {
    ExpectedViolation(artifact: .screenTime, line: nil, field: field, message: message)
  }
}

/// Breakages of `shots.jsonl` and of the screen-time files, run by `ValidatorTests.breakage`.
extension ValidatorTests {
  static let shotBreakages: [Breakage] = [
    Breakage("shots: wrong schema_version", .shots, 1, "schema_version", "must be \"shot_v1\"") {
      $0.set(.shots, line: 1, "schema_version", .string("shot_v2"))
    },
    Breakage("shots: shot_idx out of order", .shots, 2, "shot_idx", "must be 1") {
      $0.set(.shots, line: 2, "shot_idx", .integer(5))
    },
    Breakage("shots: a gap between two shots", .shots, 2, "frame_span[0]", "must be 51") {
      $0.set(.shots, line: 2, "frame_span[0]", .integer(53))
    },
    Breakage("shots: overlapping shots", .shots, 2, "frame_span[0]", "without gaps or overlaps") {
      $0.set(.shots, line: 2, "frame_span[0]", .integer(50))
    },
    Breakage(
      "shots: the first shot misses frame 0, so track 1 starts in no shot",
      expecting: [
        ExpectedViolation(artifact: .shots, line: 1, field: "frame_span[0]", message: "must be 0"),
        ExpectedViolation(
          artifact: .tracks, line: 1, field: "frame_span", message: "starts in no shot"),
      ]
    ) {
      $0.set(.shots, line: 1, "frame_span[0]", .integer(1))
    },
    Breakage(
      "shots: a cut inside two tracks",
      expecting: [
        ExpectedViolation(
          artifact: .tracks, line: 2, field: "frame_span",
          message: "track-00002 crosses the cut after frame 35"),
        ExpectedViolation(
          artifact: .tracks, line: 3, field: "frame_span",
          message: "track-00003 crosses the cut after frame 35"),
      ]
    ) {
      $0.set(.shots, line: 1, "frame_span[1]", .integer(35))
      $0.set(.shots, line: 2, "frame_span[0]", .integer(36))
    },
    Breakage("shots: start_s after end_s", .shots, 2, "start_s", "must be ≤ end_s") {
      $0.set(.shots, line: 2, "start_s", .number(3))
    },
    Breakage("shots: time runs backwards", .shots, 2, "start_s", "previous shot's end_s") {
      $0.set(.shots, line: 2, "start_s", .number(1))
    },
    Breakage("shots: histogram not normalised", .shots, 1, "histogram", "must sum to 1") {
      $0.set(.shots, line: 1, "histogram[0]", .number(0.5))
    },
    Breakage("shots: histogram of 63 bins", .shots, 1, "histogram", "must have 64 elements") {
      $0.set(.shots, line: 1, "histogram", .numbers(Array(repeating: 1.0 / 63, count: 63)))
    },
  ]

  static let screenTimeBreakages: [Breakage] = [
    Breakage(
      "screentime: wrong schema_version", .screenTime, nil, "schema_version",
      "must be \"screentime_v1\""
    ) {
      $0.set(.screenTime, "schema_version", .string("screentime_v0"))
    },
    Breakage(
      "screentime: an identity not in identities.json (and one missing)",
      expecting: [
        .screenTime("identities[1].identity_id", "not in identities.json"),
        .screenTime("identities", "missing an identity of identities.json"),
      ]
    ) {
      $0.set(.screenTime, "identities[1].identity_id", .string("identity-00009"))
    },
    Breakage(
      "screentime: an identity listed twice",
      expecting: [
        .screenTime("identities[1].identity_id", "listed twice"),
        .screenTime("identities", "missing an identity of identities.json"),
      ]
    ) {
      $0.set(.screenTime, "identities[1].identity_id", .string("identity-00001"))
      $0.set(.screenTime, "identities[1].num_tracks", .integer(2))
    },
    Breakage(
      "screentime: stale number of tracks", .screenTime, nil, "identities[0].num_tracks",
      "must equal the identity's tracks in identities.json (2)"
    ) {
      $0.set(.screenTime, "identities[0].num_tracks", .integer(3))
    },
    Breakage(
      "screentime: more seconds than the episode",
      expecting: [
        .screenTime("identities[0].seconds", "must be ≤ duration_s"),
        .screenTime("identities[0].share", "must equal seconds ÷ duration_s"),
      ]
    ) {
      $0.set(.screenTime, "identities[0].seconds", .number(3))
    },
    Breakage(
      "screentime: share above 1",
      expecting: [
        .screenTime("unidentified.share", "must be in [0, 1]"),
        .screenTime("unidentified.share", "must equal seconds ÷ duration_s"),
      ]
    ) {
      $0.set(.screenTime, "unidentified.share", .number(1.5))
    },
    Breakage(
      "screentime: negative seconds",
      expecting: [
        .screenTime("identities[1].seconds", "must be ≥ 0"),
        .screenTime("identities[1].share", "must equal seconds ÷ duration_s"),
      ]
    ) {
      $0.set(.screenTime, "identities[1].seconds", .number(-0.9))
    },
    Breakage(
      "screentime: first seen after last seen", .screenTime, nil, "identities[1].first_seen_s",
      "must be ≤ last_seen_s"
    ) {
      $0.set(.screenTime, "identities[1].first_seen_s", .number(3))
    },
    Breakage(
      "screentime: a name that is a number", .screenTime, nil, "identities[0].name",
      "expected a string or null, found number"
    ) {
      $0.set(.screenTime, "identities[0].name", .integer(7))
    },
    Breakage(
      "screentime: the CSV is missing", .screenTimeCSV, nil, "",
      "missing, but screentime.json exists"
    ) {
      $0.remove(.screenTimeCSV)
    },
    Breakage(
      "screentime: the CSV without its JSON", .screenTimeCSV, nil, "",
      "present, but screentime.json is missing"
    ) {
      $0.remove(.screenTime)
    },
    Breakage(
      "screentime: the CSV header is not the documented one", .screenTimeCSV, 1, "",
      "the header row must be kind,identity_id,"
    ) {
      $0.documents[.screenTimeCSV] = .raw("identity_id,seconds\r\nidentity-00001,1.75\r\n")
    },
  ]
}
