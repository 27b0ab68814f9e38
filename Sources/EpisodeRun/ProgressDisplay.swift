import DetectTrack
import EpisodePipeline
import Foundation
import Harvest
import ThreadPrimitives

/// Shows a stage's progress on standard error: a redrawn bar on a terminal, a plain line every
/// few seconds otherwise (logs, CI).
final class ProgressDisplay: Sendable {
  private struct State {
    var lastLine = Date.distantPast
    var drewBar = false
  }

  private let isTerminal = isatty(STDERR_FILENO) != 0
  private let state = Locked(State())

  /// Any stage's progress.
  func update(_ progress: PipelineProgress) {
    switch progress {
    case .detectTrack(let progress): update(progress)
    case .facesEmbed(let progress): update(progress)
    case .cluster: break
    }
  }

  /// Harvest progress: frames decoded and faces embedded.
  func update(_ progress: HarvestProgress) {
    let fps = progress.elapsed > 0 ? Double(progress.framesDone) / progress.elapsed : 0
    show(
      done: progress.framesDone, total: progress.framesTotal,
      text: "\(progress.phase) frames \(progress.framesDone)/\(progress.framesTotal)  faces "
        + "\(progress.facesDone)/\(progress.facesTotal)  "
        + String(format: "%.1f fps  %.1fs", fps, progress.elapsed))
  }

  /// Detect-track progress: frames decoded and analysed, tracks so far.
  func update(_ progress: DetectTrackProgress) {
    let fps = progress.elapsed > 0 ? Double(progress.framesAnalysed) / progress.elapsed : 0
    show(
      done: progress.framesDone, total: progress.framesTotal,
      text: "detect-track frames \(progress.framesDone)/\(progress.framesTotal)  analysed "
        + "\(progress.framesAnalysed)  tracks \(progress.tracks)  "
        + String(format: "%.1f fps  %.1fs", fps, progress.elapsed))
  }

  private func show(done: Int, total: Int, text: String) {
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
    if isTerminal {
      let width = 30
      let filled = Int(fraction * Double(width))
      let bar =
        String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      state.withLock { state in
        FileHandle.standardError.write(
          Data("\r\(bar) \(Int(fraction * 100))%  \(text)\u{1B}[K".utf8))
        state.drewBar = true
      }
    } else {
      state.withLock { state in
        guard Date().timeIntervalSince(state.lastLine) >= 5 else { return }
        state.lastLine = Date()
        FileHandle.standardError.write(Data("[progress] \(Int(fraction * 100))% \(text)\n".utf8))
      }
    }
  }

  func finish() {
    state.withLock { state in
      if state.drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
      state.drewBar = false
    }
  }
}
