public import Artifacts
public import Foundation

/// The analysis of a `crops_debug.jsonl` (the spec's `tools/debug_thumbs.py`): counts by status
/// and reason, a per-track table, a quality histogram and the worst tracks.
public struct CropDebugReport: Sendable, Codable, Equatable {
  /// Entries read.
  public var entries: Int
  /// Entries by status ("success", "rejected").
  public var byStatus: [String: Int]
  /// Rejected entries by reason.
  public var byReason: [String: Int]
  /// One row per track, sorted by track id.
  public var tracks: [TrackRow]
  /// Ten equal bins over [0, 1] of the quality scores present.
  public var qualityHistogram: [Int]
  /// Up to five tracks with the highest rejection rate (ties: more rejections first).
  public var worstTracks: [TrackRow]

  /// One track's counts.
  public struct TrackRow: Sendable, Codable, Equatable {
    /// The track.
    public var trackID: String
    /// Successful faces.
    public var success: Int
    /// Rejected faces.
    public var rejected: Int
    /// Mean quality of the successful faces (0 when none).
    public var meanQuality: Double
    /// The most frequent rejection reason, if any.
    public var topReason: String?

    /// rejected / (success + rejected).
    public var rejectionRate: Double {
      let total = success + rejected
      return total == 0 ? 0 : Double(rejected) / Double(total)
    }
  }

  /// Reads and analyses a debug log; malformed lines are errors naming the line.
  public static func analyse(url: URL) throws -> CropDebugReport {
    try analyse(JSONLReader<CropDebugEntry>.readAll(from: url, displayPath: url.path))
  }

  /// Analyses entries.
  public static func analyse(_ entries: [CropDebugEntry]) -> CropDebugReport {
    var byStatus: [String: Int] = [:]
    var byReason: [String: Int] = [:]
    var histogram = [Int](repeating: 0, count: 10)
    var perTrack:
      [String: (success: Int, rejected: Int, qualitySum: Double, reasons: [String: Int])] = [:]
    for entry in entries {
      byStatus[entry.status, default: 0] += 1
      var row = perTrack[entry.trackID] ?? (0, 0, 0, [:])
      if entry.status == "success" {
        row.success += 1
        row.qualitySum += entry.qualityScore ?? 0
      } else {
        row.rejected += 1
        let reason = entry.reason ?? "unknown"
        byReason[reason, default: 0] += 1
        row.reasons[reason, default: 0] += 1
      }
      perTrack[entry.trackID] = row
      if let quality = entry.qualityScore, quality.isFinite {
        histogram[min(9, max(0, Int(quality * 10)))] += 1
      }
    }
    let tracks = perTrack.keys.sorted().map { trackID -> TrackRow in
      let row = perTrack[trackID]!
      let top = row.reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.first?.key
      return TrackRow(
        trackID: trackID, success: row.success, rejected: row.rejected,
        meanQuality: row.success > 0 ? row.qualitySum / Double(row.success) : 0, topReason: top)
    }
    let worst = tracks.filter { $0.rejected > 0 }
      .sorted {
        ($1.rejectionRate, $1.rejected, $0.trackID) < ($0.rejectionRate, $0.rejected, $1.trackID)
      }
    return CropDebugReport(
      entries: entries.count, byStatus: byStatus, byReason: byReason, tracks: tracks,
      qualityHistogram: histogram, worstTracks: Array(worst.prefix(5)))
  }

  /// The report as text tables.
  public func text() -> String {
    var lines = ["\(entries) faces considered"]
    for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) {
      lines.append("  \(status): \(count)")
    }
    if !byReason.isEmpty {
      lines.append("rejections by reason:")
      for (reason, count) in byReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
        lines.append("  \(reason.padding(toLength: 20, withPad: " ", startingAt: 0)) \(count)")
      }
    }
    lines.append("per track:")
    lines.append("  track_id       success  rejected  mean_quality  top_reason")
    for row in tracks {
      lines.append(Self.format(row))
    }
    lines.append("quality histogram:")
    let peak = max(1, qualityHistogram.max() ?? 1)
    for (bin, count) in qualityHistogram.enumerated() {
      let bar = String(repeating: "#", count: count * 40 / peak)
      lines.append(
        String(format: "  %.1f–%.1f %6d ", Double(bin) / 10, Double(bin + 1) / 10, count) + bar)
    }
    if !worstTracks.isEmpty {
      lines.append("worst tracks (rejection rate):")
      for row in worstTracks {
        lines.append(Self.format(row) + String(format: "  (%.0f%%)", row.rejectionRate * 100))
      }
    }
    return lines.joined(separator: "\n")
  }

  private static func format(_ row: TrackRow) -> String {
    "  " + row.trackID.padding(toLength: 13, withPad: " ", startingAt: 0)
      + String(format: " %8d %9d %13.3f  ", row.success, row.rejected, row.meanQuality)
      + (row.topReason ?? "-")
  }
}
