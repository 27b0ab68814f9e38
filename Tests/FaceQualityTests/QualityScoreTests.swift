import Testing

@testable import FaceQuality

@Suite("Quality score")
struct QualityScoreTests {
  @Test("components follow DECISIONS.md and the score is the spec's weighted sum")
  func components() {
    let score = QualityScore(
      confidence: 0.9, shortSidePixels: 56, laplacianVariance: 150, maxBlur: 100, yawDegrees: -45)
    #expect(score.confidence == 0.9)
    #expect(score.size == 0.5)
    #expect(score.blur == 0.75)
    #expect(score.pose == 0.5)
    #expect(abs(score.value - (0.36 + 0.15 + 0.15 + 0.05)) < 1e-12)
  }

  @Test("components saturate at 1 and never go below 0")
  func clamping() {
    let score = QualityScore(
      confidence: 1.3, shortSidePixels: 400, laplacianVariance: 1e9, maxBlur: 100, yawDegrees: 120)
    #expect(score.confidence == 1 && score.size == 1 && score.blur == 1 && score.pose == 0)
    let nan = QualityScore(
      confidence: .nan, shortSidePixels: .nan, laplacianVariance: .nan, maxBlur: 100, yawDegrees: 0)
    #expect(nan.confidence == 0 && nan.size == 0 && nan.blur == 0)
  }

  @Test("before the crop exists, the score re-weights the three known components")
  func preCropScore() {
    let score = QualityScore(
      confidence: 1, shortSidePixels: 112, laplacianVariance: nil, maxBlur: 100, yawDegrees: 0)
    #expect(score.blur == nil)
    #expect(abs(score.value - 1) < 1e-12)
    let half = QualityScore(
      confidence: 0.5, shortSidePixels: 56, laplacianVariance: nil, maxBlur: 100, yawDegrees: 45)
    #expect(abs(half.value - 0.5) < 1e-12)
  }
}
