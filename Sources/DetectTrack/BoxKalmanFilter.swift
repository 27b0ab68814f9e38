/// The constant-velocity Kalman filter ByteTrack (after SORT/DeepSORT) runs on each track's box.
///
/// State: centre x, centre y, aspect ratio w/h, height, and their velocities. Noise scales with
/// the box height (`positionWeight` 1/20, `velocityWeight` 1/160, ByteTrack's values).
public struct BoxKalmanFilter: Sendable, Equatable {
  /// The eight state values.
  public private(set) var mean: [Double]
  /// 8×8 covariance, row-major.
  public private(set) var covariance: [[Double]]

  static let positionWeight = 1.0 / 20
  static let velocityWeight = 1.0 / 160

  /// Starts a track at a measured box `[x1, y1, x2, y2]`, velocities zero.
  public init(box: [Double]) {
    let measurement = Self.measurement(box)
    mean = measurement + [0, 0, 0, 0]
    let h = measurement[3]
    let p = Self.positionWeight
    let v = Self.velocityWeight
    let deviations = [
      2 * p * h, 2 * p * h, 1e-2, 2 * p * h, 10 * v * h, 10 * v * h, 1e-5, 10 * v * h,
    ]
    covariance = (0..<8).map { row in
      (0..<8).map { column in row == column ? deviations[row] * deviations[row] : 0 }
    }
  }

  /// `[cx, cy, w/h, h]` of a box.
  public static func measurement(_ box: [Double]) -> [Double] {
    let width = box[2] - box[0]
    let height = max(1e-6, box[3] - box[1])
    return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, width / height, height]
  }

  /// The current box estimate `[x1, y1, x2, y2]`.
  public var box: [Double] {
    let height = mean[3]
    let width = mean[2] * height
    return [mean[0] - width / 2, mean[1] - height / 2, mean[0] + width / 2, mean[1] + height / 2]
  }

  /// Advances one frame: position += velocity, covariance grows by the motion noise.
  public mutating func predict() {
    for index in 0..<4 { mean[index] += mean[index + 4] }
    let h = mean[3]
    let p = Self.positionWeight
    let v = Self.velocityWeight
    let noise = [p * h, p * h, 1e-2, p * h, v * h, v * h, 1e-5, v * h].map { $0 * $0 }
    // P = F P Fᵀ + Q with F = [[I, I], [0, I]].
    var next = covariance
    for row in 0..<8 {
      for column in 0..<8 {
        var value = covariance[row][column]
        if row < 4 { value += covariance[row + 4][column] }
        if column < 4 { value += covariance[row][column + 4] }
        if row < 4 && column < 4 { value += covariance[row + 4][column + 4] }
        next[row][column] = value
      }
    }
    for index in 0..<8 { next[index][index] += noise[index] }
    covariance = next
  }

  /// Corrects the state with a measured box.
  public mutating func update(box: [Double]) {
    let measured = Self.measurement(box)
    let h = mean[3]
    let p = Self.positionWeight
    let noise = [p * h, p * h, 1e-1, p * h].map { $0 * $0 }
    // S = H P Hᵀ + R (H picks the first four state values); K = P Hᵀ S⁻¹.
    var innovationCovariance = (0..<4).map { row in (0..<4).map { covariance[row][$0] } }
    for index in 0..<4 { innovationCovariance[index][index] += noise[index] }
    guard let inverse = Self.invert4x4(innovationCovariance) else { return }
    let gain = (0..<8).map { row in
      (0..<4).map { column in (0..<4).reduce(0) { $0 + covariance[row][$1] * inverse[$1][column] } }
    }
    let innovation = (0..<4).map { measured[$0] - mean[$0] }
    for row in 0..<8 {
      mean[row] += (0..<4).reduce(0) { $0 + gain[row][$1] * innovation[$1] }
    }
    // P = P − K H P.
    let previous = covariance
    for row in 0..<8 {
      for column in 0..<8 {
        covariance[row][column] =
          previous[row][column] - (0..<4).reduce(0) { $0 + gain[row][$1] * previous[$1][column] }
      }
    }
  }

  /// Gauss–Jordan inverse of a 4×4 matrix; nil when singular.
  static func invert4x4(_ matrix: [[Double]]) -> [[Double]]? {
    var work = matrix.enumerated().map { index, row in
      row + (0..<4).map { $0 == index ? 1.0 : 0.0 }
    }
    for pivot in 0..<4 {
      guard let best = (pivot..<4).max(by: { abs(work[$0][pivot]) < abs(work[$1][pivot]) }),
        abs(work[best][pivot]) > 1e-12
      else { return nil }
      work.swapAt(pivot, best)
      let divisor = work[pivot][pivot]
      work[pivot] = work[pivot].map { $0 / divisor }
      for row in 0..<4 where row != pivot {
        let factor = work[row][pivot]
        if factor != 0 {
          work[row] = zip(work[row], work[pivot]).map { $0 - factor * $1 }
        }
      }
    }
    return work.map { Array($0[4...]) }
  }
}
