/// Intersection over union of two `[x1, y1, x2, y2]` boxes (0 when either is not four numbers or
/// the union is empty).
public func intersectionOverUnion(_ a: [Double], _ b: [Double]) -> Double {
  guard a.count == 4, b.count == 4 else { return 0 }
  let width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
  let height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
  let intersection = width * height
  let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
  return union > 0 ? intersection / union : 0
}

/// Half the L1 distance between two normalised histograms, in [0, 1] (1 when their sizes
/// differ): how the scene-cut detector compares frames and shot threads compare shots.
public func histogramDistance(_ a: [Double], _ b: [Double]) -> Double {
  guard a.count == b.count, !a.isEmpty else { return 1 }
  return zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
}
