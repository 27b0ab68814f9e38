public import FaceHarvestCore

/// Which frames, and which part of them, the detector runs on at an enlarged input
/// (docs/detect_track.md, "Small faces").
///
/// A detector scaled to fit 640 pixels misses faces under about 16 input pixels: 32-pixel faces
/// of a 1280×720 wide shot. Running every frame at twice the size costs four times as much, so
/// the enlarged input is spent where small faces are. The first analysed frame of each shot,
/// and one every `scanSeconds` after, is a *scan*: the whole frame detected at the enlarged
/// input. When a scan finds faces (at `detThresh` or above) whose short side would be under
/// `smallFaceSize` pixels at the normal input, the shot goes on with a **tile**: each frame runs
/// at the normal input, plus the region around those faces (each grown by `tileMargin` of its
/// size on every side) at the enlarged input. Small faces found in the tile grow it, so it
/// follows people who move; scans come every `tileScanSeconds` then, to find small faces that
/// appear elsewhere, and each scan sets the tile afresh. A tile over `maxTileShare` of the frame
/// costs about as much as the whole frame enlarged, so then the rest of the shot runs enlarged
/// whole, as it does with `tiles` off. A cut ends all of it. Every decision depends only on the
/// frames before it, so a run is deterministic.
public struct SmallFaceScan: Sendable, Equatable {
  /// How the frames of the current shot that are not scans are detected.
  public enum Plan: Sendable, Equatable {
    /// At the normal input.
    case normal
    /// At the normal input, plus this region of the frame (frame pixels) enlarged.
    case tile(PixelRect)
    /// The whole frame at the enlarged input.
    case whole
  }

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
  /// Whether small faces are followed with a tile (false: the whole shot runs enlarged).
  public let tiles: Bool
  /// Seconds between scans inside a shot followed with a tile.
  public let tileScanSeconds: Double
  /// A small face's part of the tile: its box grown by this share of its larger side, each way.
  public static let tileMargin = 1.0
  /// A tile larger than this share of the frame runs the whole frame enlarged instead (measured
  /// before the tile is widened to whole strides of the input, which adds at most 31 input
  /// pixels a side).
  public static let maxTileShare = 0.6

  /// How the current shot's frames are detected.
  public private(set) var plan = Plan.normal
  private var lastScan: Double?

  /// A schedule for frames whose normal input has `inputPixelsPerFramePixel` pixels per frame
  /// pixel; `enlargedScale` ≤ 1 turns it off.
  public init(
    enlargedScale: Double, smallFaceSize: Double, scanSeconds: Double,
    inputPixelsPerFramePixel: Double, detThresh: Double, tiles: Bool = false,
    tileScanSeconds: Double = 1
  ) {
    self.enlargedScale = enlargedScale
    self.smallFaceSize = smallFaceSize
    self.scanSeconds = scanSeconds
    self.inputPixelsPerFramePixel = inputPixelsPerFramePixel
    self.detThresh = detThresh
    self.tiles = tiles
    self.tileScanSeconds = tileScanSeconds
  }

  /// Whether scans can happen at all.
  public var isEnabled: Bool { enlargedScale > 1 }

  /// Whether the current shot runs enlarged, whole or in a tile.
  public var shotIsEnlarged: Bool { plan != .normal }

  /// A cut: the next frame starts a shot that has not been scanned.
  public mutating func startShot() {
    plan = .normal
    lastScan = nil
  }

  /// Whether the frame at `timestamp` (seconds) is a scan.
  public func isScan(at timestamp: Double) -> Bool {
    guard isEnabled else { return false }
    guard let lastScan else { return true }
    switch plan {
    case .normal: return timestamp - lastScan >= scanSeconds
    case .tile: return timestamp - lastScan >= tileScanSeconds
    case .whole: return false
    }
  }

  /// The input scale of a frame that is not a scan (a tiled frame's full view is at 1).
  public var currentScale: Double { plan == .whole ? wholeScale : 1 }

  /// The input scale of a shot enlarged whole: `enlargedScale`, or with `adaptiveScale` just
  /// enough to bring the smallest face the scan found to `smallFaceSize` input pixels (in
  /// steps of 0.25; docs/detect_track.md, "Small faces").
  public private(set) var wholeScale = 1.0
  /// Whether a shot enlarged whole runs at the scale its smallest face needs.
  public var adaptiveScale = false

  /// Records the faces a scan at `timestamp` found (frame pixels) in a `frameWidth`×
  /// `frameHeight` frame: small ones set the plan of the frames until the next scan.
  public mutating func record(
    scan faces: [FaceDetection], at timestamp: Double, frameWidth: Int, frameHeight: Int
  ) {
    lastScan = timestamp
    let small = smallFaces(faces)
    guard !small.isEmpty else {
      plan = .normal
      return
    }
    plan =
      tiles ? tilePlan(around: small, frameWidth: frameWidth, frameHeight: frameHeight) : .whole
    wholeScale = enlargedScale
    if adaptiveScale {
      let smallest = small.map { min($0.box[2] - $0.box[0], $0.box[3] - $0.box[1]) }.min() ?? 1
      let needed = smallFaceSize / max(1e-6, smallest * inputPixelsPerFramePixel)
      wholeScale = min(enlargedScale, (needed * 4).rounded(.up) / 4)
    }
  }

  /// Records the faces a tiled frame found (frame pixels): small ones grow the tile.
  public mutating func grow(
    with faces: [FaceDetection], frameWidth: Int, frameHeight: Int
  ) {
    guard case .tile(let tile) = plan else { return }
    let small = smallFaces(faces)
    guard !small.isEmpty else { return }
    let box = [
      Double(tile.x), Double(tile.y), Double(tile.x + tile.width), Double(tile.y + tile.height),
    ]
    plan = tilePlan(around: small, including: box, frameWidth: frameWidth, frameHeight: frameHeight)
  }

  /// The faces at `detThresh` or above whose short side is under `smallFaceSize` at the normal
  /// input.
  private func smallFaces(_ faces: [FaceDetection]) -> [FaceDetection] {
    faces.filter { face in
      let shortSide = min(face.box[2] - face.box[0], face.box[3] - face.box[1])
      return face.score >= detThresh && shortSide * inputPixelsPerFramePixel < smallFaceSize
    }
  }

  /// A tile around `faces` (and `box`, when given), or the whole frame when it is too large.
  private func tilePlan(
    around faces: [FaceDetection], including box: [Double]? = nil, frameWidth: Int,
    frameHeight: Int
  ) -> Plan {
    var union = box ?? [.infinity, .infinity, -.infinity, -.infinity]
    for face in faces {
      let margin =
        Self.tileMargin * max(face.box[2] - face.box[0], face.box[3] - face.box[1])
      union = [
        min(union[0], face.box[0] - margin), min(union[1], face.box[1] - margin),
        max(union[2], face.box[2] + margin), max(union[3], face.box[3] + margin),
      ]
    }
    guard let tile = PixelRect(enclosing: union, frameWidth: frameWidth, frameHeight: frameHeight)
    else { return .normal }
    let share = Double(tile.area) / Double(max(1, frameWidth * frameHeight))
    return share > Self.maxTileShare ? .whole : .tile(tile)
  }
}
