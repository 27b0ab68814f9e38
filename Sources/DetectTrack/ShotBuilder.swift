public import Artifacts
public import Media

/// Gathers the rows of `shots.jsonl` while detect-track analyses frames: the shots tile the
/// video without gaps, each from its first analysed frame (frame 0 for the first) to the frame
/// before the next shot's first, the last to the last decoded frame; `histogram` is the mean of
/// the scene-cut histograms of the shot's analysed frames (docs/detect_track.md). A cut found
/// between two analysed frames moves to a keyframe between them when there is one (encoders
/// start a new picture group at a cut; docs/detect_track.md, "Frame schedule").
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
  /// Per shot, the last analysed frame before it (nil for the first).
  private var analysedBefore: [Int?] = []
  private var lastAnalysed: Int?

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
    defer { lastAnalysed = frame.index }
    if var current = open, !cut {
      for bin in histogram.indices where bin < current.histogramSum.count {
        current.histogramSum[bin] += histogram[bin]
      }
      current.frames += 1
      open = current
      return
    }
    analysedBefore.append(open == nil ? nil : lastAnalysed)
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
  /// analysed. Each cut between two analysed frames with a keyframe of `keyframes` (ascending)
  /// strictly between them moves to the last such keyframe.
  public mutating func finish(last: FrameTime, keyframes: [Int] = []) -> [Shot] {
    if let current = open {
      let lastFrame = max(current.firstFrame, last.index)
      close(lastFrame: lastFrame, endSeconds: last.time(of: lastFrame, frameSeconds: frameSeconds))
    }
    for index in shots.indices.dropFirst() {
      guard let before = analysedBefore[index] else { continue }
      let start = shots[index].frameSpan[0]
      guard let keyframe = keyframes.last(where: { before < $0 && $0 < start }) else { continue }
      moveStart(ofShot: index, to: keyframe)
    }
    return shots
  }

  /// Starts shot `index` at `frame` (earlier than its first analysed frame) and ends the shot
  /// before it at `frame − 1`, dating both from the frames at nominal rate.
  private mutating func moveStart(ofShot index: Int, to frame: Int) {
    let start = shots[index].frameSpan[0]
    let startSeconds = max(
      shots[index - 1].startSeconds,
      shots[index].startSeconds - Double(start - frame) * frameSeconds)
    shots[index].frameSpan[0] = frame
    shots[index].startSeconds = startSeconds
    shots[index - 1].frameSpan[1] = frame - 1
    shots[index - 1].endSeconds = max(
      shots[index - 1].startSeconds, min(shots[index - 1].endSeconds, startSeconds - frameSeconds))
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
