import Foundation
public import Identities

/// Times the clustering on synthetic tracks: `tracks` unit vectors of `width` dimensions around
/// `tracks / 20` random identities, with one cannot-link pair per 10 tracks.
public enum ClusteringBenchmark {
  /// The measurement.
  public struct Result: Sendable, Codable, Equatable {
    /// Tracks clustered.
    public var tracks: Int
    /// Vector width.
    public var width: Int
    /// Linkage.
    public var linkage: String
    /// Wall seconds of one clustering.
    public var seconds: Double
    /// Identities found.
    public var identities: Int

    /// One line for the terminal.
    public func text() -> String {
      "clustering \(tracks) tracks (\(width)-d, \(linkage) linkage, cannot-links): "
        + String(format: "%.2f s", seconds) + ", \(identities) identities"
    }
  }

  /// Runs one clustering of synthetic data (deterministic for a given size).
  public static func run(tracks: Int, width: Int = 128, linkage: Linkage = .average) -> Result {
    var state: UInt64 = 0x5EED
    func random() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    func unit(_ vector: [Float]) -> [Float] {
      let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return vector.map { $0 / norm }
    }
    let centres = (0..<max(1, tracks / 20)).map { _ in unit((0..<width).map { _ in random() }) }
    let vectors = (0..<tracks).map { index in
      unit(centres[index % centres.count].map { $0 + 0.15 * random() })
    }
    let cannotLink = (0..<(tracks / 10)).map { ($0 * 7 % tracks, ($0 * 13 + 1) % tracks) }
    let started = Date()
    let labels = AgglomerativeClustering.cluster(
      vectors, linkage: linkage, maximumDistance: 1 - 0.5, cannotLink: cannotLink)
    return Result(
      tracks: tracks, width: width, linkage: linkage.rawValue,
      seconds: Date().timeIntervalSince(started), identities: Set(labels).count)
  }
}
