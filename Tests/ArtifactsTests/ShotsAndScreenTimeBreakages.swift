import Foundation
import Testing

@testable import Artifacts

/// Breakages of `shots.jsonl`, run by `ValidatorTests.breakage`.
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
}
