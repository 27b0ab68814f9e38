import Artifacts
import Foundation

/// The prior an edited episode gives for free (docs/identities.md, "Shot threads"): two tracks
/// that do not share a frame, in the same shot or in two shots of one thread (the same camera
/// set-up recurring after a cut: colour histograms within `maxHistogramDistance`), at about the
/// same place in the frame (mean boxes overlapping by `minBoxIoU`), are likely the same person.
/// Their similarity is raised by `bonus` before clustering and probe assignment; cannot-links
/// still win.
struct ShotThreads {
  /// Added to the similarity of a threaded pair.
  var bonus: Double
  /// Largest histogram distance (half L1, 0–1) between two shots of one thread.
  var maxHistogramDistance: Double
  /// Smallest IoU of two tracks' mean boxes.
  var minBoxIoU: Double
  /// Track → its shot and mean normalised box.
  var placement: [String: (shot: Int, box: [Double])] = [:]
  /// Pairs of shots (lower index first) in one thread.
  var threadedShots: Set<[Int]> = []

  /// The prior for `shots` and the tracks' mean boxes; no shots (or bonus 0) gives no prior.
  init(
    shots: [Shot], meanBoxes: [String: [Double]], trackFirstFrames: [String: Int], bonus: Double,
    maxHistogramDistance: Double, minBoxIoU: Double
  ) {
    self.bonus = bonus
    self.maxHistogramDistance = maxHistogramDistance
    self.minBoxIoU = minBoxIoU
    guard bonus > 0, !shots.isEmpty else { return }
    let starts = shots.map { $0.frameSpan.first ?? 0 }
    for (track, first) in trackFirstFrames {
      guard let box = meanBoxes[track] else { continue }
      // The last shot starting at or before the track's first frame.
      var low = 0
      var high = starts.count - 1
      while low < high {
        let middle = (low + high + 1) / 2
        if starts[middle] <= first { low = middle } else { high = middle - 1 }
      }
      placement[track] = (shots[low].shotIndex, box)
    }
    for i in shots.indices {
      for j in (i + 1)..<shots.count
      where histogramDistance(shots[i].histogram, shots[j].histogram) <= maxHistogramDistance {
        threadedShots.insert([shots[i].shotIndex, shots[j].shotIndex].sorted())
      }
    }
  }

  /// The similarity added to the pair `a`, `b` (0 when they are not threaded).
  func bonus(_ a: String, _ b: String) -> Double {
    guard bonus > 0, let x = placement[a], let y = placement[b] else { return 0 }
    guard x.shot == y.shot || threadedShots.contains([x.shot, y.shot].sorted()) else { return 0 }
    return intersectionOverUnion(x.box, y.box) >= minBoxIoU ? bonus : 0
  }

  /// Every threaded pair among `tracks`, as index pairs, for the clustering.
  func pairBonuses(_ tracks: [String]) -> [PairBonus] {
    guard bonus > 0, !placement.isEmpty else { return [] }
    var pairs: [PairBonus] = []
    for i in tracks.indices {
      for j in (i + 1)..<tracks.count {
        let extra = bonus(tracks[i], tracks[j])
        if extra > 0 { pairs.append(PairBonus(first: i, second: j, similarity: extra)) }
      }
    }
    return pairs
  }
}
