import FaceAlignment
public import FaceHarvestCore
import Foundation

/// Head orientation in degrees.
///
/// `yaw` is positive when the face turns toward the image's right, `pitch` positive when it
/// tilts up (nose toward the top of the frame). Both are 0 for a face looking into the camera.
public struct HeadPose: Sendable, Equatable, CustomStringConvertible {
  /// Left-right rotation in degrees (positive: toward the image's right).
  public var yaw: Double
  /// Up-down rotation in degrees (positive: up).
  public var pitch: Double

  /// Creates a pose.
  public init(yaw: Double, pitch: Double) {
    self.yaw = yaw
    self.pitch = pitch
  }

  public var description: String {
    String(format: "yaw %.1f°, pitch %.1f°", yaw, pitch)
  }
}

/// Estimates yaw and pitch from the five landmarks with a scaled-orthographic fit of a 3-D mean
/// face (the ArcFace template lifted into depth) — no iterative solver, no camera intrinsics.
public enum HeadPoseEstimator {
  /// The 3-D reference face in template pixels (x right, y down, z toward the camera): the
  /// frontal ArcFace template for x and y, anthropometric depths for z (nose tip 0.41 and mouth
  /// corners 0.03 inter-ocular distances in front of the eye centres).
  public static let referenceFace: [(x: Double, y: Double, z: Double)] = {
    let template = ArcFaceTemplate.points112
    let interocular = template[1].x - template[0].x
    let depths = [0.0, 0.0, 0.41 * interocular, 0.03 * interocular, 0.03 * interocular]
    return zip(template, depths).map { (x: $0.x, y: $0.y, z: $1) }
  }()

  /// The pose for five landmarks in image pixels (left eye, right eye, nose, left mouth corner,
  /// right mouth corner; "left" is the image-left point), or nil when they are degenerate.
  public static func estimate(_ landmarks: [Point2D]) -> HeadPose? {
    guard landmarks.count == 5, landmarks.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
      return nil
    }
    let model = referenceFace
    let modelMean = (
      x: model.reduce(0) { $0 + $1.x } / 5, y: model.reduce(0) { $0 + $1.y } / 5,
      z: model.reduce(0) { $0 + $1.z } / 5
    )
    let imageMean = Point2D(
      x: landmarks.reduce(0) { $0 + $1.x } / 5, y: landmarks.reduce(0) { $0 + $1.y } / 5)
    let centredModel = model.map { [$0.x - modelMean.x, $0.y - modelMean.y, $0.z - modelMean.z] }
    let centredImage = landmarks.map { [$0.x - imageMean.x, $0.y - imageMean.y] }

    // Least squares for the 2×3 projection M with image ≈ M · model: Mᵀ = (XᵀX)⁻¹ Xᵀ U.
    var normal = [[Double]](repeating: [0, 0, 0], count: 3)
    var moment = [[Double]](repeating: [0, 0], count: 3)
    for (point, observed) in zip(centredModel, centredImage) {
      for row in 0..<3 {
        for column in 0..<3 { normal[row][column] += point[row] * point[column] }
        for column in 0..<2 { moment[row][column] += point[row] * observed[column] }
      }
    }
    guard let inverse = invert3x3(normal) else { return nil }
    var projection = [[Double]](repeating: [0, 0, 0], count: 2)
    for output in 0..<2 {
      for column in 0..<3 {
        projection[output][column] = (0..<3).reduce(0) {
          $0 + inverse[column][$1] * moment[$1][output]
        }
      }
    }
    // Nearest rotation rows: normalise r1, orthogonalise r2 against it, r3 = r1 × r2.
    guard let r1 = normalised(projection[0]) else { return nil }
    let dot = zip(projection[1], r1).reduce(0) { $0 + $1.0 * $1.1 }
    guard let r2 = normalised(zip(projection[1], r1).map { $0 - dot * $1 }) else { return nil }
    let r3 = [
      r1[1] * r2[2] - r1[2] * r2[1], r1[2] * r2[0] - r1[0] * r2[2], r1[0] * r2[1] - r1[1] * r2[0],
    ]
    // R = Rz(roll) · Rx(pitch) · Ry(yaw) maps the model into the camera. Its third row,
    // (−cos pitch · sin yaw, sin pitch, cos pitch · cos yaw), does not depend on the in-plane
    // roll, so yaw and pitch come from it alone.
    let yaw = atan2(-r3[0], r3[2]) * 180 / .pi
    let pitch = asin(max(-1, min(1, r3[1]))) * 180 / .pi
    guard yaw.isFinite, pitch.isFinite else { return nil }
    return HeadPose(yaw: yaw, pitch: pitch)
  }

  private static func normalised(_ vector: [Double]) -> [Double]? {
    let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard length > 1e-12, length.isFinite else { return nil }
    return vector.map { $0 / length }
  }

  private static func invert3x3(_ m: [[Double]]) -> [[Double]]? {
    let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1]
    let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2]
    let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0]
    let determinant = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02
    guard abs(determinant) > 1e-9, determinant.isFinite else { return nil }
    let inverseDeterminant = 1 / determinant
    return [
      [
        c00 * inverseDeterminant, (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * inverseDeterminant,
        (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * inverseDeterminant,
      ],
      [
        c01 * inverseDeterminant, (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * inverseDeterminant,
        (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * inverseDeterminant,
      ],
      [
        c02 * inverseDeterminant, (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * inverseDeterminant,
        (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * inverseDeterminant,
      ],
    ]
  }
}
