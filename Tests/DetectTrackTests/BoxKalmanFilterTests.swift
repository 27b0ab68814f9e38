import Testing

@testable import DetectTrack

@Suite("Box Kalman filter")
struct BoxKalmanFilterTests {
  @Test("starts at the measured box, with no velocity")
  func initialState() {
    let filter = BoxKalmanFilter(box: [100, 50, 140, 130])
    #expect(filter.mean == [120, 90, 0.5, 80, 0, 0, 0, 0])
    #expect(filter.box == [100, 50, 140, 130])
  }

  @Test("tracking a box moving at constant speed learns the velocity and predicts ahead")
  func learnsVelocity() {
    var filter = BoxKalmanFilter(box: [0, 0, 50, 100])
    for frame in 1...30 {
      filter.predict()
      let x = Double(frame) * 4
      filter.update(box: [x, 0, x + 50, 100])
    }
    #expect(abs(filter.mean[4] - 4) < 0.2, "x velocity \(filter.mean[4])")
    filter.predict()
    #expect(abs(filter.box[0] - 124) < 1.5, "predicted x1 \(filter.box[0])")
    #expect(abs(filter.mean[3] - 100) < 1)
  }

  @Test("a measurement pulls the estimate toward it; prediction widens the uncertainty")
  func updateAndPredict() {
    var filter = BoxKalmanFilter(box: [0, 0, 100, 100])
    let before = filter.covariance[0][0]
    filter.predict()
    #expect(filter.covariance[0][0] > before)
    filter.update(box: [10, 0, 110, 100])
    #expect(filter.mean[0] > 50 && filter.mean[0] < 60)
    #expect(filter.covariance[0][0] < before + 100)
  }

  @Test("4×4 inverse")
  func inverse() throws {
    let matrix: [[Double]] = [[4, 1, 0, 0], [1, 3, 0, 0], [0, 0, 2, 0], [0, 0, 0, 5]]
    let inverse = try #require(BoxKalmanFilter.invert4x4(matrix))
    for row in 0..<4 {
      for column in 0..<4 {
        let product = (0..<4).reduce(0) { $0 + matrix[row][$1] * inverse[$1][column] }
        #expect(abs(product - (row == column ? 1 : 0)) < 1e-12)
      }
    }
    #expect(
      BoxKalmanFilter.invert4x4([[1, 2, 0, 0], [2, 4, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) == nil)
  }
}
