import Foundation

/// `shots.jsonl`: the field rules of `ArtifactSchemas.shot`, then the shots in order and tiling
/// the video (docs/detect_track.md), then every track of `tracks.jsonl` inside exactly one shot.
extension ValidationRun {
  /// A shot's frames and times, as read.
  struct KnownShot {
    var frames: ClosedRange<Int>
    var start: Double?
    var end: Double?
  }

  /// The tolerance on the sum of a shot's mean histogram (1 for normalised histograms).
  static let histogramSumTolerance = 1e-6

  mutating func validateShots(_ url: URL) {
    guard exists(url) else {
      absent.append(name(url))
      return
    }
    var shots: [KnownShot] = []
    forEachLine(url, rules: ArtifactSchemas.shot) { run, members, location in
      run.checkShotOrder(members, after: shots.last, index: shots.count, at: location)
      if let histogram = members["histogram"]?.numbers, histogram.count == 64 {
        let sum = histogram.reduce(0, +)
        if abs(sum - 1) > Self.histogramSumTolerance {
          run.checker.report(
            location, field: "histogram", value: String(format: "sum %.6f", sum),
            "must sum to 1 (a mean of normalised histograms)")
        }
      }
      guard let span = Self.frameSpan(members) else { return }
      shots.append(
        KnownShot(
          frames: span, start: members["start_s"]?.doubleValue,
          end: members["end_s"]?.doubleValue))
    }
    checkTracksInsideShots(shots, shotsArtifact: name(url))
  }

  /// `shot_idx` counts lines from 0; each shot starts the frame after the previous one ends
  /// (the first at frame 0); times run forward.
  mutating func checkShotOrder(
    _ members: [String: JSONValue], after previous: KnownShot?, index: Int, at location: Location
  ) {
    if let shotIndex = members["shot_idx"]?.intValue, shotIndex != index {
      checker.report(
        location, field: "shot_idx", value: String(shotIndex),
        "must be \(index): shots are numbered 0, 1, … in time order")
    }
    let start = members["start_s"]?.doubleValue
    if let start, let end = members["end_s"]?.doubleValue, start > end {
      checker.report(
        location, field: "start_s", value: JSONValue.format(start),
        "must be ≤ end_s (\(JSONValue.format(end)))")
    }
    if let start, let previousEnd = previous?.end, start < previousEnd {
      checker.report(
        location, field: "start_s", value: JSONValue.format(start),
        "must be ≥ the previous shot's end_s (\(JSONValue.format(previousEnd)))")
    }
    guard let span = Self.frameSpan(members) else { return }
    let expected = previous.map { $0.frames.upperBound + 1 } ?? 0
    if span.lowerBound != expected {
      checker.report(
        location, field: "frame_span[0]", value: String(span.lowerBound),
        "must be \(expected): shots cover the video without gaps or overlaps "
          + "(the first starts at frame 0, each one the frame after the previous one ends)")
    }
  }

  /// Reports each track of `tracks.jsonl` that is not inside exactly one shot: a track that
  /// crosses a cut, or lies beyond the last shot.
  mutating func checkTracksInsideShots(_ shots: [KnownShot], shotsArtifact: String) {
    guard let tracks, let last = shots.last else { return }
    let tracksArtifact = name(layout.tracks(episode))
    for (id, track) in tracks.sorted(by: { $0.value.line < $1.value.line }) {
      guard let span = track.frameSpan else { continue }
      let location = Location(artifact: tracksArtifact, line: track.line)
      let value = "[\(span.lowerBound),\(span.upperBound)]"
      guard let shot = shots.firstIndex(where: { $0.frames.contains(span.lowerBound) }) else {
        checker.report(
          location, field: "frame_span", value: value,
          "\(id) starts in no shot of \(shotsArtifact) (they cover frames 0–"
            + "\(last.frames.upperBound))")
        continue
      }
      if !shots[shot].frames.contains(span.upperBound) {
        checker.report(
          location, field: "frame_span", value: value,
          "\(id) crosses the cut after frame \(shots[shot].frames.upperBound) (end of shot "
            + "\(shot) in \(shotsArtifact)): a track lies inside one shot")
      }
    }
  }

  /// A well-formed `frame_span`: two frames, ordered, not negative.
  static func frameSpan(_ members: [String: JSONValue]) -> ClosedRange<Int>? {
    guard let pair = members["frame_span"]?.arrayValue, pair.count == 2,
      let first = pair[0].intValue, let last = pair[1].intValue, 0 <= first, first <= last
    else { return nil }
    return first...last
  }
}
