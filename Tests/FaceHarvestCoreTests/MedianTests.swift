import FaceHarvestCore
import Testing

@Suite("Shared statistics")
struct MedianTests {
  @Test("the median: the middle value, the mean of the middle two, nil for nothing")
  func middle() {
    #expect(median([]) == nil)
    #expect(median([7]) == 7)
    #expect(median([9, 1, 5]) == 5)
    #expect(median([64, 20, 50, 30]) == 40)
  }

  @Test("the mean pairwise cosine: 1 for one vector, nil for none")
  func pairwise() throws {
    #expect(meanPairwiseCosine([]) == nil)
    #expect(meanPairwiseCosine([[1, 0]]) == 1)
    let mean = try #require(meanPairwiseCosine([[1, 0], [0, 1], [1, 0]]))
    #expect(abs(mean - 1.0 / 3.0) < 1e-6)
  }
}
