public import Artifacts
import DetectTrack
import FaceHarvestCore
import Foundation
import Media

/// A stage refused because what it would read no longer matches what its upstream artifacts
/// were made from (docs/artifacts.md, "What artifacts were made from"); nothing was written.
public struct StaleInputs: Error, CustomStringConvertible {
  /// What changed, stage by stage.
  public let findings: [StaleFinding]

  public var description: String {
    let others = findings.dropFirst().map(\.stage.displayName)
    return (findings.first?.message ?? "inputs changed")
      + (others.isEmpty ? "" : " (stale too: \(others.joined(separator: ", ")))")
      + "; no artifact was written"
  }
}

/// The checks a stage makes on its inputs before it reads them, the same for `episode-run`,
/// the server and queue workers: the video and the upstream artifacts are those its upstream
/// stages recorded (`ProvenanceCheck`), and the harvest refuses a truncated video exactly as
/// detect-track does.
struct InputCheck {
  let layout: DataLayout
  let episode: EpisodeID

  /// Throws `StaleInputs` or `DetectTrackError.truncated` when `stage` may not run.
  func verify(before stage: PipelineStage) throws {
    guard let recorded = ProvenanceStage(rawValue: stage.rawValue), stage != .detectTrack else {
      return
    }
    let videoURL = layout.video(episode)
    let video = try ContentHash.videoIdentity(
      of: videoURL, displayPath: layout.relativePath(videoURL))
    var check = ProvenanceCheck(layout: layout, episode: episode)
    let findings = try check.findings(of: recorded.upstream, video: video) {
      try? VideoFrameCount.count(videoURL).framesInVideo
    }
    guard findings.isEmpty else { throw StaleInputs(findings: findings) }
    guard stage == .facesEmbed, let video else { return }
    // Detect-track counted this very file's frames: nothing to count again.
    let seen = try check.document()?.stages[ProvenanceStage.detectTrack.rawValue]?.video
    if let seen, seen.isSameVideo(as: video) { return }
    let count = try VideoFrameCount.count(videoURL)
    if count.isTruncated, let declared = count.info.declaredFrameCount {
      throw DetectTrackError.truncated(
        path: videoURL.path, decoded: count.framesInVideo, declared: declared)
    }
  }
}
