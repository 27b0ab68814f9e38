/// Which shots the detector runs on at an enlarged input (docs/detect_track.md, "Small faces").
///
/// A detector scaled to fit 640 pixels misses faces under about 16 input pixels: 32-pixel faces
/// of a 1280×720 wide shot. Running every frame at twice the size costs four times as much, so
/// the enlarged input is spent on the shots that need it. The first analysed frame of each shot,
/// and one every `scanSeconds` after, is a *scan*: detected at the enlarged input. When a scan
/// finds a face (at `detThresh` or above) whose short side would be under `smallFaceSize` pixels
/// at the normal input, the rest of the shot runs enlarged. A cut ends that. The decision depends
/// only on the frames before it, so a run is deterministic.
public struct SmallFaceScan: Sendable, Equatable {
  /// Input scale of scans and of shots with small faces (1: never enlarged).
  public let enlargedScale: Double
  /// A face whose short side is under this many pixels at the normal input is small.
  public let smallFaceSize: Double
  /// Seconds between scans inside one shot that has shown no small face.
  public let scanSeconds: Double
  /// Normal-input pixels per frame pixel.
  public let inputPixelsPerFramePixel: Double
  /// The lowest score of a face that counts.
  public let detThresh: Double

  /// Whether the current shot runs at the enlarged input.
  public private(set) var shotIsEnlarged = false
  private var lastScan: Double?

  /// A schedule for frames whose normal input has `inputPixelsPerFramePixel` pixels per frame
  /// pixel; `enlargedScale` ≤ 1 turns it off.
  public init(
    enlargedScale: Double, smallFaceSize: Double, scanSeconds: Double,
    inputPixelsPerFramePixel: Double, detThresh: Double
  ) {
    self.enlargedScale = enlargedScale
    self.smallFaceSize = smallFaceSize
    self.scanSeconds = scanSeconds
    self.inputPixelsPerFramePixel = inputPixelsPerFramePixel
    self.detThresh = detThresh
  }

  /// Whether scans can happen at all.
  public var isEnabled: Bool { enlargedScale > 1 }

  /// A cut: the next frame starts a shot that has not been scanned.
  public mutating func startShot() {
    shotIsEnlarged = false
    lastScan = nil
  }

  /// Whether the frame at `timestamp` (seconds) is a scan.
  public func isScan(at timestamp: Double) -> Bool {
    guard isEnabled, !shotIsEnlarged else { return false }
    guard let lastScan else { return true }
    return timestamp - lastScan >= scanSeconds
  }

  /// The input scale of a frame that is not a scan.
  public var currentScale: Double { shotIsEnlarged ? enlargedScale : 1 }

  /// Records the faces a scan at `timestamp` found (frame pixels); a small one enlarges the rest
  /// of the shot.
  public mutating func record(scan faces: [FaceDetection], at timestamp: Double) {
    lastScan = timestamp
    shotIsEnlarged = faces.contains { face in
      let shortSide = min(face.box[2] - face.box[0], face.box[3] - face.box[1])
      return face.score >= detThresh && shortSide * inputPixelsPerFramePixel < smallFaceSize
    }
  }
}
