/// One track's pooled embedding.
public struct PooledTrack: Sendable, Equatable {
  /// The track.
  public var trackID: String
  /// Unit-norm pooled embedding.
  public var vector: [Float]
  /// Faces of the track (before trimming).
  public var numFaces: Int
  /// Faces kept after trimming.
  public var facesUsed: Int
  /// Largest cosine distance between two faces of the track (0 for one face).
  public var spread: Double
  /// The track's best face: its row in `faces.jsonl` (highest quality, then earliest).
  public var bestFace: Int
  /// Quality of the best face.
  public var bestQuality: Double
}

/// Pools a track's face embeddings into one unit vector: a quality-weighted mean, after
/// dropping faces far from the track's median.
///
/// The median is the coordinate-wise median of the unit embeddings, renormalised. A face is
/// trimmed when its cosine similarity to that median is more than `trimDistance` below the
/// best face's; at least half of the faces (and never the best-aligned one) are always kept.
/// The weights are the faces' quality scores (floored at 0.05 so no face weighs nothing).
public struct TrackPooler: Sendable {
  /// How far below the closest face's similarity to the median a face may be.
  public var trimDistance: Double

  /// Creates a pooler.
  public init(trimDistance: Double = 0.25) {
    self.trimDistance = trimDistance
  }

  /// Pools `faces` (rows of `faces.jsonl`: index, embedding, quality) of one track.
  public func pool(
    trackID: String, faces: [(row: Int, embedding: ArraySlice<Float>, quality: Double)]
  ) -> PooledTrack? {
    guard let width = faces.first?.embedding.count, width > 0 else { return nil }
    let vectors = faces.map { Array($0.embedding) }
    var median = [Float](repeating: 0, count: width)
    for dimension in 0..<width {
      let values = vectors.map { $0[dimension] }.sorted()
      let middle = values.count / 2
      median[dimension] =
        values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
    median = normalised(median) ?? vectors[0]
    let similarity = vectors.map { Double(dot($0, median)) }
    let best = similarity.max() ?? 1
    var keep = similarity.indices.filter { similarity[$0] >= best - trimDistance }
    if keep.count * 2 < vectors.count {
      keep = similarity.indices.sorted { similarity[$0] > similarity[$1] }
        .prefix((vectors.count + 1) / 2).sorted()
    }
    var mean = [Float](repeating: 0, count: width)
    for index in keep {
      let weight = Float(max(0.05, faces[index].quality))
      for dimension in 0..<width { mean[dimension] += weight * vectors[index][dimension] }
    }
    guard let vector = normalised(mean) else { return nil }
    var spread = 0.0
    for i in vectors.indices {
      for j in (i + 1)..<vectors.count {
        spread = max(spread, 1 - Double(dot(vectors[i], vectors[j])))
      }
    }
    let bestFace = faces.indices.max {
      (faces[$0].quality, -faces[$0].row) < (faces[$1].quality, -faces[$1].row)
    }!
    return PooledTrack(
      trackID: trackID, vector: vector, numFaces: faces.count, facesUsed: keep.count,
      spread: max(0, spread), bestFace: faces[bestFace].row,
      bestQuality: faces[bestFace].quality)
  }
}

func dot(_ a: [Float], _ b: [Float]) -> Float {
  var sum: Float = 0
  for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
  return sum
}

func normalised(_ vector: [Float]) -> [Float]? {
  let norm = dot(vector, vector).squareRoot()
  guard norm.isFinite, norm > 1e-12 else { return nil }
  return vector.map { $0 / norm }
}
