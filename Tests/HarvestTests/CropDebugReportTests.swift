import Artifacts
import Testing

@testable import Harvest

@Suite("crops_debug.jsonl report")
struct CropDebugReportTests {
  static func entry(_ track: String, _ status: String, _ quality: Double?, _ reason: String? = nil)
    -> CropDebugEntry
  {
    CropDebugEntry(
      frameIndex: 1, trackID: track, bbox: [0.1, 0.1, 0.2, 0.2], cropPath: "", status: status,
      qualityScore: quality, reason: reason)
  }

  @Test("counts, per-track rows, histogram and worst tracks")
  func analyse() {
    let entries = [
      Self.entry("track-00001", "success", 0.95),
      Self.entry("track-00001", "success", 0.85),
      Self.entry("track-00001", "rejected", 0.5, "low_quality"),
      Self.entry("track-00002", "rejected", nil, "too_small"),
      Self.entry("track-00002", "rejected", nil, "too_small"),
      Self.entry("track-00002", "rejected", 0.65, "too_blurry"),
      Self.entry("track-00003", "success", 0.75),
    ]
    let report = CropDebugReport.analyse(entries)
    #expect(report.entries == 7)
    #expect(report.byStatus == ["success": 3, "rejected": 4])
    #expect(report.byReason == ["low_quality": 1, "too_small": 2, "too_blurry": 1])
    #expect(report.tracks.map(\.trackID) == ["track-00001", "track-00002", "track-00003"])
    #expect(abs(report.tracks[0].meanQuality - 0.9) < 1e-12)
    #expect(report.tracks[1].topReason == "too_small")
    #expect(report.qualityHistogram == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    #expect(report.worstTracks.map(\.trackID) == ["track-00002", "track-00001"])
    let text = report.text()
    #expect(text.contains("too_small"))
    #expect(text.contains("worst tracks"))
  }
}
