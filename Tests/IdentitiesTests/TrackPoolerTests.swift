import Testing

@testable import Identities

@Suite("Track pooling")
struct TrackPoolerTests {
  @Test("an outlier face is trimmed; quality weights the rest; spread is the widest pair")
  func trimsAndWeights() throws {
    let a: [Float] = [1, 0, 0]
    let b: [Float] = [0.8, 0.6, 0]
    let outlier: [Float] = [0, 0, 1]
    let faces: [(row: Int, embedding: ArraySlice<Float>, quality: Double)] = [
      (0, a[...], 0.9), (1, a[...], 0.9), (2, b[...], 0.3), (3, outlier[...], 0.95),
    ]
    let pooled = try #require(TrackPooler().pool(trackID: "track-00001", faces: faces))
    #expect(pooled.numFaces == 4 && pooled.facesUsed == 3)
    #expect(pooled.vector[2] == 0, "the outlier is left out")
    let norm = pooled.vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(norm - 1) < 1e-6)
    // Weighted mean of a, a, b with weights 0.9, 0.9, 0.3, normalised.
    let x: Float = 0.9 + 0.9 + 0.3 * 0.8
    let y: Float = 0.3 * 0.6
    let expected = [x, y].map { $0 / (x * x + y * y).squareRoot() }
    #expect(
      abs(pooled.vector[0] - expected[0]) < 1e-6 && abs(pooled.vector[1] - expected[1]) < 1e-6)
    #expect(abs(pooled.spread - 1) < 1e-6, "a and the outlier are orthogonal")
    #expect(pooled.bestFace == 3, "the highest-quality face is the representative")
  }

  @Test("one face pools to itself with zero spread")
  func single() throws {
    let v: [Float] = [0, 1]
    let pooled = try #require(TrackPooler().pool(trackID: "t", faces: [(7, v[...], 0.5)]))
    #expect(pooled.vector == v && pooled.spread == 0 && pooled.bestFace == 7)
  }
}
