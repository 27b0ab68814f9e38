/// How the distance between two clusters follows from the distances between their members.
public enum Linkage: String, Sendable, CaseIterable, Codable {
  /// Mean pairwise distance (UPGMA).
  case average
  /// Largest pairwise distance.
  case complete
  /// Smallest pairwise distance.
  case single
}

/// Exact agglomerative clustering of unit vectors on cosine distance (1 − cosine similarity),
/// with cannot-link pairs that are never placed in one cluster.
///
/// The dendrogram is built with the nearest-neighbour chain algorithm (O(n²) time, one
/// condensed n(n−1)/2 distance matrix in Float), which is exact for reducible linkages. A
/// cannot-link pair starts at distance +∞, and a merged cluster is +∞ from every cluster either
/// part was +∞ from; this keeps all three linkages reducible, so the chain stays exact. The
/// flat clusters are the dendrogram cut at `maximumDistance`: the merges at or below it, applied
/// in order of height (the same result as merging closest pairs first and stopping there).
/// Ties are broken by the lower index, so the result is deterministic.
public enum AgglomerativeClustering {
  /// One merge of the dendrogram.
  public struct Merge: Sendable, Equatable {
    /// Representative indices of the two clusters merged.
    public var first: Int
    /// The other cluster's representative index.
    public var second: Int
    /// Linkage distance at which they merged.
    public var distance: Double
  }

  /// Cluster labels for `vectors` (unit length, all the same width): `labels[i]` is the index
  /// of the smallest member of item i's cluster. Pairs in `cannotLink` never share a cluster;
  /// each `bonus` pair's similarity is raised by its amount before clustering (the shot-thread
  /// prior of docs/identities.md), which leaves the algorithm exact on the adjusted distances.
  public static func cluster(
    _ vectors: [[Float]], linkage: Linkage, maximumDistance: Double,
    cannotLink: [(Int, Int)] = [], bonus: [PairBonus] = []
  ) -> [Int] {
    let count = vectors.count
    var parent = Array(0..<count)
    func root(_ item: Int) -> Int {
      var item = item
      while parent[item] != item {
        parent[item] = parent[parent[item]]
        item = parent[item]
      }
      return item
    }
    let merges = dendrogram(vectors, linkage: linkage, cannotLink: cannotLink, bonus: bonus)
      .enumerated().sorted { ($0.element.distance, $0.offset) < ($1.element.distance, $1.offset) }
    for (_, merge) in merges where merge.distance <= maximumDistance {
      let (a, b) = (root(merge.first), root(merge.second))
      parent[max(a, b)] = min(a, b)
    }
    var labels = (0..<count).map(root)
    // Label by the smallest member (a root can be any member after path compression).
    var smallest: [Int: Int] = [:]
    for (index, label) in labels.enumerated() where smallest[label] == nil {
      smallest[label] = index
    }
    labels = labels.map { smallest[$0]! }
    return labels
  }

  /// The dendrogram's merges with finite distance, in the order the chain found them.
  public static func dendrogram(
    _ vectors: [[Float]], linkage: Linkage, cannotLink: [(Int, Int)] = [],
    bonus: [PairBonus] = []
  ) -> [Merge] {
    let count = vectors.count
    guard count > 1 else { return [] }
    var distances = initialDistances(vectors, cannotLink: cannotLink, bonus: bonus)

    var size = [Int](repeating: 1, count: count)
    var active = [Bool](repeating: true, count: count)
    var chain: [Int] = []
    var merges: [Merge] = []
    var remaining = count
    while remaining > 1 {
      if chain.isEmpty { chain.append(active.firstIndex(of: true)!) }
      let current = chain[chain.count - 1]
      let previous = chain.count > 1 ? chain[chain.count - 2] : -1
      // Nearest active neighbour; the previous chain element wins ties, then the lower index.
      var nearest = -1
      var best = Float.infinity
      if previous >= 0 {
        nearest = previous
        best = distances[current, previous]
      }
      for other in 0..<count where active[other] && other != current {
        let distance = distances[current, other]
        if distance < best || (nearest < 0 && distance == best) {
          best = distance
          nearest = other
        }
      }
      if nearest < 0 || best == .infinity {
        // Only cannot-linked clusters remain for this one: it merges with nothing more.
        active[current] = false
        remaining -= 1
        chain.removeAll()
        continue
      }
      if nearest == previous {
        chain.removeLast(2)
        let (kept, gone) = (min(current, previous), max(current, previous))
        merges.append(Merge(first: kept, second: gone, distance: Double(best)))
        for other in 0..<count where active[other] && other != kept && other != gone {
          distances[kept, other] = linkage.merged(
            distances[kept, other], size[kept], distances[gone, other], size[gone])
        }
        size[kept] += size[gone]
        active[gone] = false
        remaining -= 1
      } else {
        chain.append(nearest)
      }
    }
    return merges
  }
}

extension AgglomerativeClustering {
  /// Cosine distances (1 − dot of unit vectors, at least 0), less each pair's bonus; infinite
  /// for cannot-linked pairs. Out-of-range or self pairs are ignored.
  static func initialDistances(
    _ vectors: [[Float]], cannotLink: [(Int, Int)], bonus: [PairBonus]
  ) -> CondensedMatrix {
    let count = vectors.count
    var distances = CondensedMatrix(count: count)
    for i in 0..<count {
      for j in (i + 1)..<count {
        var dot: Float = 0
        vectors[i].withUnsafeBufferPointer { a in
          vectors[j].withUnsafeBufferPointer { b in
            for k in 0..<min(a.count, b.count) { dot += a[k] * b[k] }
          }
        }
        distances[i, j] = max(0, 1 - dot)
      }
    }
    for pair in bonus
    where pair.first != pair.second && min(pair.first, pair.second) >= 0
      && max(pair.first, pair.second) < count
    {
      distances[pair.first, pair.second] = max(
        0, distances[pair.first, pair.second] - Float(pair.similarity))
    }
    for (a, b) in cannotLink where a != b && min(a, b) >= 0 && max(a, b) < count {
      distances[a, b] = .infinity
    }
    return distances
  }
}

extension Linkage {
  /// The distance from the union of two clusters (of `keptSize` and `goneSize` items) to a
  /// third, given each one's distance to it (Lance–Williams); a cannot-link stays infinite.
  func merged(_ toKept: Float, _ keptSize: Int, _ toGone: Float, _ goneSize: Int) -> Float {
    if toKept == .infinity || toGone == .infinity { return .infinity }
    switch self {
    case .average:
      return (Float(keptSize) * toKept + Float(goneSize) * toGone) / Float(keptSize + goneSize)
    case .complete: return max(toKept, toGone)
    case .single: return min(toKept, toGone)
    }
  }
}

/// A similarity added to one pair of items before clustering.
public struct PairBonus: Sendable, Equatable {
  /// One item.
  public var first: Int
  /// The other item.
  public var second: Int
  /// Added to their cosine similarity.
  public var similarity: Double

  /// A bonus for the pair.
  public init(first: Int, second: Int, similarity: Double) {
    self.first = first
    self.second = second
    self.similarity = similarity
  }
}

/// A symmetric matrix with a zero diagonal, stored as its upper triangle.
struct CondensedMatrix {
  let count: Int
  private var storage: [Float]

  init(count: Int) {
    self.count = count
    storage = [Float](repeating: 0, count: count * (count - 1) / 2)
  }

  private func offset(_ i: Int, _ j: Int) -> Int {
    let (row, column) = i < j ? (i, j) : (j, i)
    return row * count - row * (row + 1) / 2 + (column - row - 1)
  }

  subscript(i: Int, j: Int) -> Float {
    get { i == j ? 0 : storage[offset(i, j)] }
    set { if i != j { storage[offset(i, j)] = newValue } }
  }
}
