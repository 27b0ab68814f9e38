import Testing

@testable import Identities

@Suite("Agglomerative clustering")
struct AgglomerativeClusteringTests {
  /// A deterministic generator (SplitMix64), so failures reproduce.
  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static func unit(_ values: [Float]) -> [Float] {
    let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return values.map { $0 / norm }
  }

  /// Groups of noisy copies of a few random centres.
  static func vectors(count: Int, width: Int, centres: Int, noise: Float, seed: UInt64)
    -> [[Float]]
  {
    var generator = Generator(state: seed)
    let bases = (0..<centres).map { _ in
      unit((0..<width).map { _ in Float.random(in: -1...1, using: &generator) })
    }
    return (0..<count).map { _ in
      let base = bases[Int.random(in: 0..<centres, using: &generator)]
      return unit(base.map { $0 + Float.random(in: -noise...noise, using: &generator) })
    }
  }

  /// The textbook algorithm: merge the closest allowed pair of clusters while it is within the
  /// threshold, recomputing the linkage from the members (O(n³)).
  static func naive(
    _ vectors: [[Float]], linkage: Linkage, maximumDistance: Double, cannotLink: [(Int, Int)]
  ) -> Set<Set<Int>> {
    let forbidden = Set(cannotLink.flatMap { [[$0.0, $0.1], [$0.1, $0.0]] })
    func distance(_ a: Int, _ b: Int) -> Double {
      1 - Double(zip(vectors[a], vectors[b]).reduce(0) { $0 + $1.0 * $1.1 })
    }
    var clusters = vectors.indices.map { [$0] }
    while true {
      var best: (Double, Int, Int)?
      for i in clusters.indices {
        for j in (i + 1)..<clusters.count {
          let pairs = clusters[i].flatMap { a in clusters[j].map { b in (a, b) } }
          if pairs.contains(where: { forbidden.contains([$0.0, $0.1]) }) { continue }
          let distances = pairs.map { distance($0.0, $0.1) }
          let value: Double
          switch linkage {
          case .average: value = distances.reduce(0, +) / Double(distances.count)
          case .complete: value = distances.max()!
          case .single: value = distances.min()!
          }
          if best == nil || value < best!.0 { best = (value, i, j) }
        }
      }
      guard let (value, i, j) = best, value <= maximumDistance else { break }
      clusters[i] += clusters[j]
      clusters.remove(at: j)
    }
    return Set(clusters.map(Set.init))
  }

  static func partition(_ labels: [Int]) -> Set<Set<Int>> {
    Set(Dictionary(grouping: labels.indices, by: { labels[$0] }).values.map(Set.init))
  }

  @Test(
    "equals the textbook algorithm for every linkage, with and without cannot-links",
    arguments: Linkage.allCases)
  func matchesNaive(linkage: Linkage) {
    for seed in 1...6 as ClosedRange<UInt64> {
      let vectors = Self.vectors(count: 28, width: 16, centres: 5, noise: 0.6, seed: seed)
      var generator = Generator(state: seed &* 31)
      let cannotLink = (0..<8).map { _ in
        (Int.random(in: 0..<28, using: &generator), Int.random(in: 0..<28, using: &generator))
      }.filter { $0.0 != $0.1 }
      for links in [[], cannotLink] {
        for threshold in [0.2, 0.5, 0.9] {
          let fast = AgglomerativeClustering.cluster(
            vectors, linkage: linkage, maximumDistance: threshold, cannotLink: links)
          let slow = Self.naive(
            vectors, linkage: linkage, maximumDistance: threshold, cannotLink: links)
          #expect(
            Self.partition(fast) == slow,
            "seed \(seed), \(linkage), threshold \(threshold), \(links.count) cannot-links")
        }
      }
    }
  }

  @Test("cannot-linked items never share a cluster, even when identical")
  func cannotLink() {
    let same: [Float] = [1, 0, 0]
    let labels = AgglomerativeClustering.cluster(
      [same, same, same, [0, 1, 0]], linkage: .average, maximumDistance: 0.5,
      cannotLink: [(0, 1)])
    #expect(labels[0] != labels[1])
    #expect(labels[2] == labels[0] || labels[2] == labels[1])
    #expect(labels[3] == 3)
  }

  @Test("labels are the smallest member's index and do not depend on run")
  func deterministic() {
    let vectors = Self.vectors(count: 40, width: 8, centres: 4, noise: 0.3, seed: 9)
    let first = AgglomerativeClustering.cluster(vectors, linkage: .average, maximumDistance: 0.4)
    let second = AgglomerativeClustering.cluster(vectors, linkage: .average, maximumDistance: 0.4)
    #expect(first == second)
    for (index, label) in first.enumerated() { #expect(label <= index && first[label] == label) }
  }
}
