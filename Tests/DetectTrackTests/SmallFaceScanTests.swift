import FaceAlignment
import FaceHarvestCore
import Testing

@testable import DetectTrack

/// The small-face schedule (docs/detect_track.md, "Small faces"): which frames are scans, what a
/// scan decides, and how a tile follows small faces.
@Suite("small-face scan schedule")
struct SmallFaceScanTests {
  /// A 1280×720 frame at a 640 input: half an input pixel per frame pixel.
  static func schedule(scale: Double = 2, tiles: Bool = true) -> SmallFaceScan {
    SmallFaceScan(
      enlargedScale: scale, smallFaceSize: 24, scanSeconds: 4, inputPixelsPerFramePixel: 0.5,
      detThresh: 0.5, tiles: tiles, tileScanSeconds: 1)
  }

  static func face(side: Double, score: Double = 0.9, at x: Double = 100, y: Double = 100)
    -> FaceDetection
  {
    FaceDetection(
      box: [x, y, x + side, y + side * 1.2],
      landmarks: Array(repeating: Point2D(x: x + 10, y: y + 10), count: 5), score: score)
  }

  static func record(_ scan: inout SmallFaceScan, _ faces: [FaceDetection], at time: Double) {
    scan.record(scan: faces, at: time, frameWidth: 1280, frameHeight: 720)
  }

  @Test("the first frame and one every scan_seconds are scans while no small face is seen")
  func periodicScans() {
    var scan = Self.schedule()
    #expect(scan.isScan(at: 0))
    Self.record(&scan, [Self.face(side: 120)], at: 0)
    #expect(scan.plan == .normal && scan.currentScale == 1)
    #expect(!scan.isScan(at: 3.96))
    #expect(scan.isScan(at: 4.0))
  }

  @Test("small faces give a tile around them (a face's size each way), scanned every second")
  func tileAroundSmallFaces() {
    var scan = Self.schedule()
    // 40×48 and 30×36 frame px: 20 and 15 input px, both small; the 120 px face is not.
    Self.record(
      &scan,
      [
        Self.face(side: 120, at: 900), Self.face(side: 40, at: 200, y: 300),
        Self.face(side: 30, at: 400, y: 310),
      ],
      at: 0)
    // Union of [200-48, 300-48, 240+48, 348+48] and [400-36, 310-36, 430+36, 346+36].
    #expect(scan.plan == .tile(PixelRect(x: 152, y: 252, width: 314, height: 144)))
    #expect(scan.shotIsEnlarged && scan.currentScale == 1)
    #expect(!scan.isScan(at: 0.96))
    #expect(scan.isScan(at: 1.0))
    // A small face found in the tile grows it; a large one does not.
    scan.grow(with: [Self.face(side: 120, at: 0, y: 0)], frameWidth: 1280, frameHeight: 720)
    #expect(scan.plan == .tile(PixelRect(x: 152, y: 252, width: 314, height: 144)))
    scan.grow(with: [Self.face(side: 30, at: 470, y: 310)], frameWidth: 1280, frameHeight: 720)
    #expect(scan.plan == .tile(PixelRect(x: 152, y: 252, width: 384, height: 144)))
    // The next scan sets the tile afresh: no small face, no tile.
    Self.record(&scan, [Self.face(side: 120)], at: 1)
    #expect(scan.plan == .normal)
  }

  @Test("a tile is clipped to the frame, and one over 60 % of it enlarges the whole frame")
  func clippedAndWhole() {
    var scan = Self.schedule()
    Self.record(&scan, [Self.face(side: 40, at: 1250, y: 700)], at: 0)
    #expect(scan.plan == .tile(PixelRect(x: 1202, y: 652, width: 78, height: 68)))
    // Small faces spread over the frame: their tile would be most of it.
    Self.record(
      &scan, [Self.face(side: 40, at: 60, y: 60), Self.face(side: 40, at: 1150, y: 600)], at: 1)
    #expect(scan.plan == .whole && scan.currentScale == 2)
    #expect(!scan.isScan(at: 10), "a shot enlarged whole needs no more scans")
    scan.startShot()
    #expect(scan.plan == .normal && scan.isScan(at: 10.04), "a new shot starts with a scan")
  }

  @Test("with tiles off, a small face enlarges the rest of the shot; a cut ends it")
  func enlargesUntilCutWithoutTiles() {
    var scan = Self.schedule(tiles: false)
    Self.record(&scan, [Self.face(side: 120), Self.face(side: 46)], at: 0)  // 23 input px
    #expect(scan.plan == .whole && scan.currentScale == 2)
    #expect(!scan.isScan(at: 10), "an enlarged shot needs no more scans")
    scan.startShot()
    #expect(!scan.shotIsEnlarged && scan.currentScale == 1)
    #expect(scan.isScan(at: 10.04), "a new shot starts with a scan")
  }

  @Test("faces at the size limit or under det_thresh do not count")
  func boundaries() {
    var scan = Self.schedule()
    Self.record(&scan, [Self.face(side: 48)], at: 0)  // exactly 24 input px
    #expect(!scan.shotIsEnlarged)
    Self.record(&scan, [Self.face(side: 20, score: 0.49)], at: 4)
    #expect(!scan.shotIsEnlarged)
    Self.record(&scan, [Self.face(side: 20, score: 0.5)], at: 8)
    #expect(scan.shotIsEnlarged)
  }

  @Test("small_face_scale 1 turns scans off")
  func off() {
    let scan = Self.schedule(scale: 1)
    #expect(!scan.isEnabled && !scan.isScan(at: 0) && scan.currentScale == 1)
  }
}

@Suite("small-face tile geometry")
struct SmallFaceTileTests {
  @Test("a tile is cut from the enlarged input in multiples of 32, inside it")
  func inputTile() {
    // 720×400 enlarged to 1280×704: 9/16 and 25/44 frame pixels per input pixel.
    let scale = (x: 720.0 / 1280, y: 400.0 / 704)
    let tile = DetectTrackStage.inputTile(
      PixelRect(x: 90, y: 100, width: 100, height: 60), framePixelsPerInputPixel: scale,
      inputSize: (1280, 704))
    // x 90 → 160, right 190 → 337.8 → 338: 178 wide → 192; y 100 → 176, bottom 160 → 281.6 →
    // 282: 106 tall → 128.
    #expect(tile == PixelRect(x: 160, y: 176, width: 192, height: 128))
    // At the right and bottom edges the tile moves back inside the input: x 700 → 1244.4 →
    // 1244, 36 wide → 64; y 390 → 686.4 → 686, 18 tall → 32.
    let corner = DetectTrackStage.inputTile(
      PixelRect(x: 700, y: 390, width: 20, height: 10), framePixelsPerInputPixel: scale,
      inputSize: (1280, 704))
    #expect(corner == PixelRect(x: 1216, y: 672, width: 64, height: 32))
    // A tile as wide as the frame is the whole input's width.
    let wide = DetectTrackStage.inputTile(
      PixelRect(x: 0, y: 0, width: 720, height: 400), framePixelsPerInputPixel: scale,
      inputSize: (1280, 704))
    #expect(wide == PixelRect(x: 0, y: 0, width: 1280, height: 704))
  }
}

@Suite("small-face adaptive scale")
struct SmallFaceAdaptiveScaleTests {
  @Test("a shot enlarged whole runs at the scale its smallest face needs, at most the full one")
  func adaptiveScale() {
    var scan = SmallFaceScanTests.schedule(tiles: false)
    scan.adaptiveScale = true
    // 40 frame px = 20 input px: 24 / 20 = 1.2, up to the next quarter: 1.25.
    SmallFaceScanTests.record(&scan, [SmallFaceScanTests.face(side: 40)], at: 0)
    #expect(scan.plan == .whole && scan.currentScale == 1.25)
    // 16 frame px = 8 input px: 3 wanted, capped at small_face_scale 2.
    scan.startShot()
    SmallFaceScanTests.record(
      &scan, [SmallFaceScanTests.face(side: 40), SmallFaceScanTests.face(side: 16)], at: 1)
    #expect(scan.currentScale == 2)
    // Off: always the full scale.
    var fixed = SmallFaceScanTests.schedule(tiles: false)
    SmallFaceScanTests.record(&fixed, [SmallFaceScanTests.face(side: 40)], at: 0)
    #expect(fixed.currentScale == 2)
  }
}
