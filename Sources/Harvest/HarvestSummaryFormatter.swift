import Foundation

/// Renders a `HarvestSummary` as the closing summary the CLI prints.
public enum HarvestSummaryFormatter {
  /// Multi-line text: faces kept, rejections by reason, faces per track, time per stage.
  public static func text(_ summary: HarvestSummary) -> String {
    var lines: [String] = []
    lines.append(
      "faces harvest \(summary.episode): \(summary.facesKept) faces kept from "
        + "\(summary.tracksWithFaces)/\(summary.tracks) tracks (model \(summary.model), "
        + "\(summary.embeddingWidth)-d)")
    let rejected = summary.rejections.values.reduce(0, +)
    if rejected == 0 {
      lines.append("  rejected: none")
    } else {
      let reasons = summary.rejections.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
      lines.append("  rejected: \(rejected) (\(reasons))")
    }
    if summary.probeFaces > 0 {
      lines.append(
        "  probe faces: \(summary.probeFaces) for \(summary.probeTracks) tracks with no accepted "
          + "face (they assign a track to a person; they never define one)")
    }
    if let notNeeded = summary.probesNotNeeded, notNeeded > 0 {
      lines.append(
        "  probes not embedded: \(notNeeded) (their track's best probes already agreed)")
    }
    let perTrack = summary.facesPerTrack
    lines.append(
      "  faces per track: min \(perTrack.min), median \(perTrack.median), max \(perTrack.max)")
    if summary.tracksWithoutDetections > 0 {
      lines.append("  tracks without detections: \(summary.tracksWithoutDetections)")
    }
    if summary.sharedDecode {
      lines.append(
        "  frames: \(summary.framesDecoded) in the video, taken from detect-track's decode (one "
          + "decode), \(summary.framesConverted) converted to full-size BGR")
    } else {
      lines.append(
        "  frames: \(summary.framesDecoded) in the video, \(summary.framesSkipped) not decoded "
          + "(non-reference, no face), \(summary.framesConverted) converted to BGR")
    }
    let order =
      (summary.sharedDecode ? [] : ["plan", "decode"]) + ["crop", "embed", "write", "total"]
    let times = order.compactMap { key in
      summary.seconds[key].map { key + String(format: " %.2fs", $0) }
    }
    lines.append("  time: " + times.joined(separator: ", ") + " (stages overlap)")
    lines.append(String(format: "  peak memory: %.0f MiB", summary.peakMemoryMiB))
    if summary.cropsWritten > 0 { lines.append("  crops written: \(summary.cropsWritten)") }
    if summary.thumbsWritten > 0 {
      lines.append(
        "  review thumbnails: \(summary.thumbsWritten) for \(summary.tracksWithThumbs) of "
          + "\(summary.tracks) tracks")
    }
    lines.append("  wrote: " + summary.artifacts.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}
