import Artifacts
import Media

/// Gathers the rows of `shots.jsonl` while detect-track analyses frames: the shots tile the
/// video without gaps, each from its first analysed frame (frame 0 for the first) to the frame
/// before the next shot's first, the last to the last decoded frame; `histogram` is the mean of
/// the scene-cut histograms of the shot's analysed frames (docs/detect_track.md).
public struct ShotBuilder: Sendable {
  private struct OpenShot: Sendable {
    var firstFrame: Int
    var startSeconds: Double
    var histogramSum: [Double]
    var frames: Int
  }

  private let episode: String
  private let frameSeconds: Double
  private var shots: [Shot] = []
  private var open: OpenShot?

  /// A builder for `episode`; `frameSeconds` (one frame at the nominal rate) dates frames the
  /// decoder skipped.
  public init(episode: String, frameSeconds: Double) {
    self.episode = episode
    self.frameSeconds = max(0, frameSeconds)
  }

  /// Adds an analysed frame with its histogram. `cut` says a cut lies before it; `previous` is
  /// the last frame decoded before it (analysed or not), which dates the end of the shot a cut
  /// closes.
  public mutating func add(
    _ frame: FrameTime, histogram: [Double], cut: Bool, previous: FrameTime?
  ) {
    if var current = open, !cut {
      for bin in histogram.indices where bin < current.histogramSum.count {
        current.histogramSum[bin] += histogram[bin]
      }
      current.frames += 1
      open = current
      return
    }
    if open != nil {
      let lastFrame = max(0, frame.index - 1)
      let end = previous?.time(of: lastFrame, frameSeconds: frameSeconds) ?? frame.timestamp
      close(lastFrame: lastFrame, endSeconds: min(end, frame.timestamp))
    }
    open = OpenShot(
      firstFrame: shots.isEmpty ? 0 : frame.index, startSeconds: frame.timestamp,
      histogramSum: histogram, frames: 1)
  }

  /// The shots, the last one ending at `last`, the last decoded frame. Empty when no frame was
  /// analysed.
  public mutating func finish(last: FrameTime) -> [Shot] {
    if let current = open {
      let lastFrame = max(current.firstFrame, last.index)
      close(lastFrame: lastFrame, endSeconds: last.time(of: lastFrame, frameSeconds: frameSeconds))
    }
    return shots
  }

  private mutating func close(lastFrame: Int, endSeconds: Double) {
    guard let current = open else { return }
    let count = Double(max(1, current.frames))
    shots.append(
      Shot(
        epID: episode, shotIndex: shots.count, frameSpan: [current.firstFrame, lastFrame],
        startSeconds: current.startSeconds, endSeconds: max(current.startSeconds, endSeconds),
        histogram: current.histogramSum.map { $0 / count }))
    open = nil
  }
}
