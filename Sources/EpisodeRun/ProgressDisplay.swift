import DetectTrack
import Foundation
import Harvest

/// Shows a stage's progress on standard error: a redrawn bar on a terminal, a plain line every
/// few seconds otherwise (logs, CI).
final class ProgressDisplay: @unchecked Sendable {
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private let lock = NSLock()
  private var lastLine = Date.distantPast
  private var drewBar = false

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
    lock.lock()
    defer { lock.unlock() }
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
    if isTerminal {
      let width = 30
      let filled = Int(fraction * Double(width))
      let bar =
        String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      FileHandle.standardError.write(Data("\r\(bar) \(Int(fraction * 100))%  \(text)\u{1B}[K".utf8))
      drewBar = true
    } else if Date().timeIntervalSince(lastLine) >= 5 {
      lastLine = Date()
      FileHandle.standardError.write(Data("[progress] \(Int(fraction * 100))% \(text)\n".utf8))
    }
  }

  func finish() {
    lock.lock()
    defer { lock.unlock() }
    if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    drewBar = false
  }
}
