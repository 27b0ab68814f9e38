import FaceAlignment
import FaceHarvestCore
import Foundation
import Testing

@testable import FaceQuality

/// Landmarks of a synthetic head rotated by known angles and seen through a pinhole camera.
/// The head is NOT the estimator's reference face (different proportions and depths), so the
/// test measures the estimator, not an identity.
enum SyntheticHead {
  /// x right, y down, z toward the camera; millimetres; nose tip at the origin.
  static let points: [(Double, Double, Double)] = [
    (-32, -35, -25), (32, -35, -25), (0, 0, 0), (-25, 30, -22), (25, 30, -22),
  ]

  static func landmarks(yaw: Double, pitch: Double, roll: Double = 0, distance: Double = 700)
    -> [Point2D]
  {
    let yawRadians = yaw * .pi / 180
    let pitchRadians = pitch * .pi / 180
    let rollRadians = roll * .pi / 180
    return points.map { point in
      // Yaw about y (positive turns the nose toward +x), then pitch about x (positive: up, -y).
      let x1 = cos(yawRadians) * point.0 + sin(yawRadians) * point.2
      let z1 = -sin(yawRadians) * point.0 + cos(yawRadians) * point.2
      let y2 = cos(pitchRadians) * point.1 - sin(pitchRadians) * z1
      let z2 = sin(pitchRadians) * point.1 + cos(pitchRadians) * z1
      let focal = 1000.0
      let u = focal * x1 / (distance - z2)
      let v = focal * y2 / (distance - z2)
      // In-plane roll, then place in a 1280×720 frame.
      return Point2D(
        x: 640 + cos(rollRadians) * u - sin(rollRadians) * v,
        y: 360 + sin(rollRadians) * u + cos(rollRadians) * v)
    }
  }
}

@Suite("Head pose from five landmarks")
struct HeadPoseTests {
  static let angles: [(Double, Double)] = [
    (0, 0), (15, 0), (-15, 0), (30, 0), (-30, 0), (45, 0), (-45, 0), (60, 0), (-60, 0),
    (0, 15), (0, -15), (0, 25), (0, -25), (20, 15), (-25, -20), (40, 20), (-40, 10),
  ]

  @Test("yaw and pitch of a rotated head are recovered within 10°", arguments: angles)
  func recoversKnownAngles(yaw: Double, pitch: Double) throws {
    let pose = try #require(
      HeadPoseEstimator.estimate(SyntheticHead.landmarks(yaw: yaw, pitch: pitch)))
    #expect(abs(pose.yaw - yaw) <= 10, "yaw \(pose) for truth \(yaw), \(pitch)")
    #expect(abs(pose.pitch - pitch) <= 10, "pitch \(pose) for truth \(yaw), \(pitch)")
    if abs(yaw) >= 15 { #expect(pose.yaw.sign == yaw.sign) }
    if abs(pitch) >= 15 { #expect(pose.pitch.sign == pitch.sign) }
  }

  @Test("in-plane roll does not change yaw or pitch", arguments: [-30.0, -10, 10, 35])
  func rollInvariance(roll: Double) throws {
    let upright = try #require(
      HeadPoseEstimator.estimate(SyntheticHead.landmarks(yaw: 25, pitch: 10)))
    let rolled = try #require(
      HeadPoseEstimator.estimate(SyntheticHead.landmarks(yaw: 25, pitch: 10, roll: roll)))
    #expect(abs(upright.yaw - rolled.yaw) < 1e-6)
    #expect(abs(upright.pitch - rolled.pitch) < 1e-6)
  }

  @Test("the ArcFace template itself is frontal")
  func templateIsFrontal() throws {
    let pose = try #require(HeadPoseEstimator.estimate(ArcFaceTemplate.points(size: 224)))
    #expect(abs(pose.yaw) < 1e-6 && abs(pose.pitch) < 1e-6)
  }

  @Test("degenerate landmarks have no pose")
  func degenerate() {
    #expect(HeadPoseEstimator.estimate(Array(repeating: Point2D(x: 3, y: 3), count: 5)) == nil)
    #expect(HeadPoseEstimator.estimate(Array(ArcFaceTemplate.points112.prefix(4))) == nil)
    var withNaN = ArcFaceTemplate.points112
    withNaN[2].x = .nan
    #expect(HeadPoseEstimator.estimate(withNaN) == nil)
  }
}
