import CorruptVideoSupport
import FaceHarvestCore
import Foundation
import Synchronization
import Testing

@testable import Media

@Suite("Frame source: one decode thread and one frame numbering for every stage")
struct FrameSourceTests {
  /// A 60-frame 25 fps H.264 clip with a fixed I B B P pattern (B frames are non-reference) and
  /// a keyframe every 30 frames.
  static func makeClip(in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent("clean.mp4")
    try TestVideos.ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "60", "-c:v", "libx264",
      "-bf", "2", "-x264-params", "b-adapt=0:b-pyramid=none", "-g", "30", "-pix_fmt", "yuv420p",
      url.path,
    ])
    return url
  }

  /// Every frame `selection` yields, by number, read through a `FrameSource`.
  static func frames(_ url: URL, _ selection: FrameSelection) throws -> [Int: SourceFrame] {
    var frames: [Int: SourceFrame] = [:]
    try FrameSource(url: url).forEach(selection) { frame in
      #expect(frames[frame.index] == nil, "frame \(frame.index) yielded twice")
      frames[frame.index] = frame
      return true
    }
    return frames
  }

  /// FNV-1a of a frame's pixels (nil for no frame): short to print when two differ.
  static func checksum(_ frame: SourceFrame?) -> UInt64? {
    frame.map {
      $0.image.pixels.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
  }

  /// A clean clip, a copy with one `target` packet damaged, and what the damage touches.
  struct Damaged {
    let clean: URL
    let damaged: URL
    /// The number of the frame whose packet was damaged.
    let broken: Int
    /// Frames no decoder state from the damaged packet reaches: those decoded before it, and
    /// those from the next keyframe on.
    let untouched: Set<Int>
  }

  static func damagedClip(_ target: CorruptVideo.Target, in directory: URL) throws -> Damaged {
    let clean = try makeClip(in: directory)
    let damaged = directory.appendingPathComponent("damaged.mp4")
    let packets = try CorruptVideo.packets(of: clean)
    let numbers = CorruptVideo.frameNumbers(packets)
    let brokenPacket = try CorruptVideo.damage(clean, to: damaged, target: target, from: 10)
    let position = try #require(packets.firstIndex(of: brokenPacket))
    let nextKeyframe = try #require(packets[position...].firstIndex { $0.isKeyframe })
    let untouched = (packets[..<position] + packets[nextKeyframe...]).compactMap { numbers[$0.pts] }
    return Damaged(
      clean: clean, damaged: damaged, broken: try #require(numbers[brokenPacket.pts]),
      untouched: Set(untouched))
  }

  @Test(
    "a corrupt packet mid-stream: detect-track's and the harvest's selections agree frame for frame",
    arguments: CorruptVideo.Target.allCases)
  func corruptPacketAgreement(target: CorruptVideo.Target) throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.damagedClip(target, in: directory)
    let clean = try Self.frames(clip.clean, .all)
    #expect(clean.keys.sorted() == Array(0..<60))

    // Detect-track at stride 1 and 3; the harvest's sparse selection, around the damage too.
    let everyFrame = try Self.frames(clip.damaged, .every(1))
    let strided = try Self.frames(clip.damaged, .every(3))
    let wanted: Set<Int> = [1, 2, clip.broken - 1, clip.broken, clip.broken + 1, 31, 44, 59]
    let harvest = try Self.frames(clip.damaged, .only(wanted))

    #expect(everyFrame[clip.broken] == nil, "the rejected packet's frame is a gap")
    let whole = Set(everyFrame.filter { !$0.value.isDamaged }.keys)
    switch target {
    case .reference:
      #expect(whole == clip.untouched, "damaged: decoded after it, before a keyframe")
    case .nonReference: #expect(whole == Set(0..<60).subtracting([clip.broken]))
    }
    for (index, frame) in everyFrame {
      #expect(index == Int((frame.timestamp * 25).rounded()), "numbers follow timestamps")
    }
    for index in whole {
      #expect(Self.checksum(everyFrame[index]) == Self.checksum(clean[index]), "frame \(index)")
    }
    #expect(Set(harvest.keys) == wanted.intersection(everyFrame.keys))
    #expect(Set(strided.keys) == Set(stride(from: 0, to: 60, by: 3)).intersection(everyFrame.keys))
    for (index, frame) in harvest.merging(strided, uniquingKeysWith: { first, _ in first }) {
      let reference = try #require(everyFrame[index])
      #expect(frame.isDamaged == reference.isDamaged, "frame \(index) is damaged in one pass only")
      #expect(frame.timestamp == reference.timestamp)
      if !frame.isDamaged {
        #expect(Self.checksum(frame) == Self.checksum(reference), "frame \(index) differs")
      }
    }
  }

  @Test("a fixed size converts straight to it; the kept picture gives the full frame unchanged")
  func fixedSizeAndPicture() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.makeClip(in: directory)
    let full = try Self.frames(clip, .every(3))
    let source = try FrameSource(url: clip)
    let scaler = PictureScaler()
    var seen = 0
    source.start(.every(3), size: .fixed(width: 80, height: 64), keepsPictures: true)
    while let frame = try source.next() {
      seen += 1
      #expect(frame.image.width == 80 && frame.image.height == 64)
      #expect(frame.frameWidth == 160 && frame.frameHeight == 120)
      let picture = try #require(frame.picture)
      let whole = try #require(picture.image(scaler: scaler))
      #expect(whole == full[frame.index]?.image, "frame \(frame.index)")
      // The same size from the picture is the same pixels as the pass's own conversion.
      #expect(picture.image(width: 80, height: 64, scaler: scaler) == frame.image)
      // Not a blank image: the test pattern's colours survive the downscale.
      #expect(Set(frame.image.pixels).count > 16)
    }
    _ = try source.finish()
    #expect(seen == full.count && seen == 20)
    // Without keepsPictures no picture is held.
    try FrameSource(url: clip).forEach(.every(3), size: .fixed(width: 80, height: 64)) { frame in
      #expect(frame.picture == nil && frame.image.width == 80)
      return false
    }
  }

  @Test("sparse frames, each decoded after a seek to its keyframe, are a full pass's pixels")
  func sparseFrames() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.makeClip(in: directory)
    let full = try Self.frames(clip, .all)
    // A keyframe, a B frame before the second keyframe, the second keyframe, the last frame.
    let wanted: Set<Int> = [0, 29, 30, 31, 58, 59]
    var seen: [Int] = []
    try FrameSource(url: clip).forEachSparse(wanted) { frame in
      seen.append(frame.index)
      #expect(!frame.isDamaged)
      #expect(frame.image == full[frame.index]?.image, "frame \(frame.index)")
      #expect(abs(frame.timestamp - Double(frame.index) / 25) < 1e-6)
    }
    #expect(seen == wanted.sorted())
  }

  @Test(
    "sparse frames of a clip with a corrupt packet: a frame not marked damaged is the clean one",
    arguments: CorruptVideo.Target.allCases)
  func sparseFramesOfDamagedClip(target: CorruptVideo.Target) throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.damagedClip(target, in: directory)
    let clean = try Self.frames(clip.clean, .all)
    var whole = 0
    try FrameSource(url: clip.damaged).forEachSparse(Set(0..<60)) { frame in
      guard !frame.isDamaged else { return }
      whole += 1
      #expect(frame.image == clean[frame.index]?.image, "frame \(frame.index) is not marked")
    }
    // The untouched frames of the second GOP, at least, come whole.
    #expect(whole >= clip.untouched.filter { $0 >= 30 }.count)
  }

  @Test("the counts of a pass: every packet is a frame, decoded, skipped or lost")
  func counts() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.damagedClip(.reference, in: directory)
    let wanted: Set<Int> = [5, clip.broken, 40]
    let source = try FrameSource(url: clip.damaged, queueCapacity: 2)
    #expect(source.info.width == 160 && source.info.declaredFrameCount == 60)
    var seen: [Int] = []
    let counts = try source.forEach(.only(wanted)) { frame in
      seen.append(frame.index)
      #expect(frame.previous.map { $0.index < frame.index } ?? (frame.index == 0))
      return true
    }
    #expect(seen == [5, 40])
    #expect(counts.complete && counts.framesInVideo == 60 && counts.framesPassed == 60)
    #expect(counts.framesConverted == 2)
    #expect(counts.framesSkipped > 10, "non-reference B frames nobody wants are not decoded")
    #expect(counts.framesDecoded + counts.framesSkipped == 59, "one packet was rejected")
    #expect(counts.lastFrame?.index == 59)
  }

  @Test("a consumer that stops, or a cancelled run, ends the decode thread early")
  func stopsEarly() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try Self.makeClip(in: directory)
    let stopped = try FrameSource(url: clip, queueCapacity: 4).forEach(.all) { $0.index < 4 }
    #expect(!stopped.complete && stopped.framesInVideo == 0)
    #expect((stopped.lastFrame?.index ?? 99) < 10, "at most the queue's worth decoded ahead")

    let polls = PollCounter()
    var yielded = 0
    let cancelled = try FrameSource(url: clip).forEach(
      .all, isCancelled: { polls.next() > 3 },
      body: { _ in
        yielded += 1
        return true
      })
    #expect(!cancelled.complete && cancelled.framesInVideo == 0)
    #expect(cancelled.framesDecoded == 4, "the fourth poll, after the fourth frame, cancels")
    #expect(yielded == 3, "the frame decoded when the run was cancelled is not handed on")
  }

  @Test("frame numbers: timestamp ranks, or decode order when no packet has a timestamp")
  func numbering() throws {
    var ranked = FrameNumbering()
    for pts: Int64 in [0, 3072, 1024, 2048] { try ranked.record(packetPTS: pts) }
    #expect(ranked.mode == .presentationRank)
    #expect(ranked.number(ofPacket: 3072) == 3)
    #expect([0, 1024, 2048, 3072].map { ranked.number(ofFrame: $0) } == [0, 1, 2, 3])
    #expect(ranked.number(ofFrame: nil) == nil)
    #expect(throws: FrameNumbering.Failure.packetWithoutTimestamp) {
      try ranked.record(packetPTS: nil)
    }

    var counted = FrameNumbering()
    try counted.record(packetPTS: nil)
    try counted.record(packetPTS: 512)
    #expect(counted.mode == .decodeOrder)
    #expect([nil, 512, nil].map { counted.number(ofFrame: $0) } == [0, 1, 2])
  }
}

/// Counts the polls of an `isCancelled` closure (called on the decode thread).
private final class PollCounter: Sendable {
  private let count = Mutex(0)

  func next() -> Int {
    count.withLock {
      $0 += 1
      return $0
    }
  }
}
