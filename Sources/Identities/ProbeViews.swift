import Artifacts
import FaceHarvestCore

/// What makes a probe face recognisable (docs/identities.md, "Degraded-only tracks"): not too
/// small, not turned too far, not cut by the frame edge, not blurred.
struct RecognisableFace: Equatable {
  var minFacePx: Double
  var maxYaw: Double
  var maxPadding: Double
  var minSharpness: Double

  /// The settings of `config`.
  init(_ config: ClusterConfig) {
    minFacePx = config.probeMinFacePx
    maxYaw = config.probeMaxYaw
    maxPadding = config.probeMaxPadding
    minSharpness = config.probeMinSharpness
  }

  /// Whether a probe seen as `view` can be recognised.
  func accepts(_ view: ProbeView) -> Bool {
    view.faceSize >= minFacePx && abs(view.yaw) <= maxYaw && view.padding <= maxPadding
      && view.sharpness >= minSharpness
  }

  /// How recognisable each probe-only track of `inputs` is, from its probe rows; tracks whose
  /// rows carry no view (an older `probe_faces.jsonl`) are left out (`View.unknown`).
  func views(_ inputs: EpisodeFaces) -> [String: ProbeAssigner.View] {
    var views: [String: ProbeAssigner.View] = [:]
    for (trackID, rows) in inputs.probesByTrack where inputs.facesByTrack[trackID] == nil {
      let seen = rows.compactMap { row in inputs.faces[row].probeView.map { (row, $0) } }
      guard seen.count == rows.count, !seen.isEmpty else { continue }
      let good = seen.filter { accepts($0.1) }
      views[trackID] = ProbeAssigner.View(
        recognisableFaces: good.count,
        allTooSmall: seen.allSatisfy { $0.1.faceSize < minFacePx },
        agreement: meanPairwiseCosine(good.map { Array(inputs.embeddings.row($0.0)) }),
        recognisableSize: median(good.map(\.1.faceSize)), probeFaces: seen.count)
    }
    return views
  }
}
