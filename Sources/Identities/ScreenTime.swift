public import Artifacts
public import Foundation
import Logging
import Media

/// An error of the screen-time step: the file, and the line and field when known.
public enum ScreenTimeError: Error, CustomStringConvertible, LocalizedError {
  /// A required input is missing.
  case missingInput(path: String, what: String)
  /// An input contradicts another one.
  case invalidInput(path: String, line: Int?, field: String, message: String)

  public var description: String {
    switch self {
    case .missingInput(let path, let what): return "missing \(what): \(path)"
    case .invalidInput(let path, let line, let field, let message):
      return "\(path)\(line.map { ":\($0)" } ?? ""): \(field): \(message)"
    }
  }

  public var errorDescription: String? { description }
}

/// The episode's clock as screen time needs it (docs/screentime.md).
public struct EpisodeTiming: Sendable, Equatable {
  /// The episode's duration: its last frame's timestamp + one frame.
  public var durationSeconds: Double
  /// The time one analysed frame stands for: a detection covers this long after its timestamp.
  public var frameStepSeconds: Double
  /// Where the numbers came from (`timing_source`).
  public var source: String

  /// A timing.
  public init(durationSeconds: Double, frameStepSeconds: Double, source: String) {
    self.durationSeconds = max(0, durationSeconds)
    self.frameStepSeconds = max(0, frameStepSeconds)
    self.source = source
  }

  /// From `track_metrics.json` (`total_frames` analysed frames, `analyzed_fps` of them per second
  /// of video): duration `total_frames ÷ analyzed_fps`, step `1 ÷ analyzed_fps`. Without it, from
  /// the video's header: its duration, and one frame at its nominal rate.
  public static func load(layout: DataLayout, episode: EpisodeID) throws -> EpisodeTiming {
    let metricsURL = layout.trackMetrics(episode)
    let metricsPath = layout.relativePath(metricsURL)
    if FileManager.default.fileExists(atPath: metricsURL.path) {
      let metrics = try AtomicFile.readJSON(
        TrackMetrics.self, from: metricsURL, displayPath: metricsPath)
      guard metrics.totalFrames > 0, metrics.analyzedFPS > 0 else {
        return EpisodeTiming(durationSeconds: 0, frameStepSeconds: 0, source: "track_metrics.json")
      }
      return EpisodeTiming(
        durationSeconds: Double(metrics.totalFrames) / metrics.analyzedFPS,
        frameStepSeconds: 1 / metrics.analyzedFPS, source: "track_metrics.json")
    }
    let videoURL = layout.video(episode)
    guard FileManager.default.fileExists(atPath: videoURL.path) else {
      throw ScreenTimeError.missingInput(
        path: metricsPath, what: "track metrics (run --detect-track), and no video to time from")
    }
    let info = try FrameSource(url: videoURL).info
    let step = info.frameRate > 0 ? 1 / info.frameRate : 0
    let frames = info.declaredFrameCount.map(Double.init)
    return EpisodeTiming(
      durationSeconds: info.duration ?? (frames ?? 0) * step, frameStepSeconds: step,
      source: "episode.mp4")
  }
}

/// Computes screen time from identities, tracks and (when known) shots: per identity the union
/// of its tracks' spans, each detection covering one frame step, with gaps up to `gapSeconds`
/// bridged inside a shot and never across a cut (docs/screentime.md). Pure: no file is read.
public struct ScreenTimeCalculator: Sendable {
  /// A piece of a track's coverage inside one shot (`shot` nil when cuts are unknown).
  struct Span: Equatable {
    var start: Double
    var end: Double
    var shot: Int?
  }

  /// The episode's clock.
  public var timing: EpisodeTiming
  /// The longest gap bridged inside a shot.
  public var gapSeconds: Double
  private let shots: [Shot]?
  /// Each shot's time range: from its `start_s` (0 for the first) to the next one's `start_s`
  /// (the duration for the last).
  private let shotRanges: [Range<Double>]

  /// A calculator; `shots` nil when `shots.jsonl` is absent (then no gap is bridged).
  public init(timing: EpisodeTiming, gapSeconds: Double, shots: [Shot]?) {
    self.timing = timing
    self.gapSeconds = max(0, gapSeconds)
    self.shots = shots
    let shots = shots ?? []
    shotRanges = shots.indices.map { index in
      let lower = index == 0 ? 0 : min(shots[index].startSeconds, timing.durationSeconds)
      let upper =
        index + 1 < shots.count ? shots[index + 1].startSeconds : timing.durationSeconds
      return lower..<max(lower, min(upper, timing.durationSeconds))
    }
  }

  /// The report: `identities` paired with their tracks (in any order; sorted here by seconds,
  /// longest first, then id), and the tracks in no identity.
  public func report(
    episode: String, identities: [(identity: Identity, tracks: [Track])], unidentified: [Track]
  ) -> ScreenTimeReport {
    let entries = identities.map { entry($0.identity, tracks: $0.tracks) }.sorted {
      ($1.seconds, $0.identityID.count, $0.identityID) < (
        $0.seconds, $1.identityID.count, $1.identityID
      )
    }
    let seconds = union(unidentified.flatMap(spans), bridging: false)
    return ScreenTimeReport(
      epID: episode, durationSeconds: Self.rounded(timing.durationSeconds),
      frameStepSeconds: timing.frameStepSeconds, gapSeconds: gapSeconds, cutsKnown: shots != nil,
      timingSource: timing.source, identities: entries,
      unidentified: UnidentifiedScreenTime(
        seconds: Self.rounded(seconds), share: share(seconds), numTracks: unidentified.count))
  }

  /// One identity's entry.
  public func entry(_ identity: Identity, tracks: [Track]) -> ScreenTimeEntry {
    let seconds = union(tracks.flatMap(spans), bridging: true)
    return ScreenTimeEntry(
      identityID: identity.identityID, name: identity.labels["name"],
      personID: identity.labels["person_id"], seconds: Self.rounded(seconds),
      share: share(seconds), numTracks: identity.trackIDs.count,
      firstSeenSeconds: tracks.map(\.startSeconds).min() ?? 0,
      lastSeenSeconds: tracks.map(\.endSeconds).max() ?? 0)
  }

  /// A track's coverage, `[start_s, end_s + frame step)` within the episode, cut into one span
  /// per shot it lies in (by its frames; one shot unless the track crosses a cut), each clipped
  /// to its shot's time range.
  func spans(_ track: Track) -> [Span] {
    let duration = timing.durationSeconds
    let start = min(max(0, track.startSeconds), duration)
    let end = min(max(start, track.endSeconds + timing.frameStepSeconds), duration)
    guard let shots, !shots.isEmpty, track.frameSpan.count == 2 else {
      return end > start ? [Span(start: start, end: end, shot: nil)] : []
    }
    let first = shotIndex(of: track.frameSpan[0], in: shots)
    let last = max(first, shotIndex(of: track.frameSpan[1], in: shots))
    return (first...last).compactMap { shot in
      let range = shotRanges[shot]
      let span = Span(
        start: max(start, range.lowerBound), end: min(end, range.upperBound), shot: shot)
      return span.end > span.start ? span : nil
    }
  }

  /// The length of the union of `spans`; with `bridging`, a gap of at most `gapSeconds` between
  /// two spans of the same shot counts as covered.
  func union(_ spans: [Span], bridging: Bool) -> Double {
    var total = 0.0
    var current: Span?
    for span in spans.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
      guard var open = current else {
        current = span
        continue
      }
      let gap = span.start - open.end
      let bridge =
        bridging && open.shot != nil && open.shot == span.shot && gap <= gapSeconds + 1e-9
      if gap <= 0 || bridge {
        if span.end > open.end { (open.end, open.shot) = (span.end, span.shot) }
        current = open
      } else {
        total += open.end - open.start
        current = span
      }
    }
    return total + (current.map { $0.end - $0.start } ?? 0)
  }

  /// The shot whose frames hold `frame`: the last one starting at or before it.
  private func shotIndex(of frame: Int, in shots: [Shot]) -> Int {
    var low = 0
    var high = shots.count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if (shots[middle].frameSpan.first ?? 0) <= frame { low = middle } else { high = middle - 1 }
    }
    return low
  }

  private func share(_ seconds: Double) -> Double {
    timing.durationSeconds > 0 ? Self.rounded(min(1, seconds / timing.durationSeconds)) : 0
  }

  /// Rounded to the microsecond: no float noise such as 3.0400000000000005 in the files.
  static func rounded(_ value: Double) -> Double {
    (value * 1e6).rounded() / 1e6
  }
}
