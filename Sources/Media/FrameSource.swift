public import FaceHarvestCore
public import Foundation
public import Logging
import Synchronization
import ThreadPrimitives

/// A frame's number (`frame_idx`) and presentation time.
public struct FrameTime: Sendable, Equatable {
  /// The frame's number (`FrameSource`, docs/detect_track.md "Frame numbers").
  public var index: Int
  /// Its timestamp in seconds.
  public var timestamp: Double

  /// A frame time.
  public init(index: Int, timestamp: Double) {
    self.index = index
    self.timestamp = timestamp
  }

  /// The time of `frame` (at or after this one), `frameSeconds` per frame after this one: the
  /// estimate for a frame the decoder skipped (docs/detect_track.md).
  public func time(of frame: Int, frameSeconds: Double) -> Double {
    timestamp + Double(max(0, frame - index)) * frameSeconds
  }
}

/// A selected frame, in BGR, as a `FrameSource` yields it.
public struct SourceFrame: Sendable {
  /// The frame's number, `frame_idx` in every artifact.
  public let index: Int
  /// Presentation time in seconds from the stream's start (`ts_s`); a frame presented before
  /// the stream's declared start is dated 0.
  public let timestamp: Double
  /// The pixels, at the size the pass asked for (`FrameSize`).
  public let image: BGRImage
  /// The decoder's pixels, when the pass keeps them: the frame at any other size.
  public let picture: VideoPicture?
  /// The video frame's width in pixels (`image` may be smaller).
  public let frameWidth: Int
  /// The video frame's height in pixels.
  public let frameHeight: Int
  /// The last frame decoded before this one, selected or not; nil for the first.
  public let previous: FrameTime?
  /// Decoded after a corrupt packet of a frame others refer to, before the next keyframe: its
  /// pixels are the decoder's concealment, which can differ between passes that decode
  /// different frames (docs/detect_track.md, "Corrupt packets").
  public let isDamaged: Bool
}

/// What a `FrameSource`'s decode thread has done so far.
public struct FrameSourceCounts: Sendable, Equatable {
  /// Frames the decoder delivered, selected or not.
  public var framesDecoded = 0
  /// Selected frames converted to BGR.
  public var framesConverted = 0
  /// Non-reference frames dropped undecoded (set when the pass ends).
  public var framesSkipped = 0
  /// Numbers of the stream's keyframes, ascending (set when the pass ends; empty for a stream
  /// numbered in decode order).
  public var keyframes: [Int] = []
  /// Frames delivered marked damaged (`SourceFrame.isDamaged`), selected or not.
  public var framesDamaged = 0
  /// The last frame delivered.
  public var lastFrame: FrameTime?
  /// Frames in the video (its packets), set when the pass read the whole stream.
  public var framesInVideo = 0
  /// Seconds the decode thread worked, waits for room in the queue left out.
  public var busySeconds = 0.0
  /// Whether the pass read the whole stream (false while it runs, or when it stopped early).
  public var complete = false

  /// Frames of the video passed so far: up to the last delivered, or all once complete.
  public var framesPassed: Int { max(framesInVideo, (lastFrame?.index ?? -1) + 1) }
}

/// The only way a stage reads frames (docs/detect_track.md, "Frame numbers"): a decode thread
/// ahead of the stage, a bounded queue between them, a selection of the frames the stage
/// wants, and one frame numbering for every stage. Only the selected frames are converted to
/// BGR and queued; packets of non-reference frames the selection does not need are not decoded.
///
/// Frame numbers are the rank of each frame's presentation timestamp among the stream's
/// packets: they depend on the file alone, so detect-track and the harvest agree frame for
/// frame whatever each selects, and a corrupt packet leaves a gap rather than shifting the
/// frames after it. Frames a lost reference frame may have damaged come marked `isDamaged`, the
/// same frames in every pass.
public final class FrameSource: Sendable {
  /// The video's path.
  public let path: String
  /// What the container declares about the video stream.
  public let info: VideoInfo
  // The decoder is used only by the decode thread once `start` has run; the counts, the
  // queue, the error box and the thread handle are each behind a lock.
  private let decoder: VideoDecoder
  private let queue: BoundedQueue<SourceFrame>
  private let failure = FirstError()
  private let tally = FrameTally()
  private let stopping = StopFlag()
  private let thread = Locked<StageThread?>(nil)
  /// Set by the one pass a source makes (`start` or `forEachSparse`).
  private let used = Locked(false)
  private let logger: Logger
  private let decoderThreads: Int

  private func claim() {
    let first = used.withLock { used in
      defer { used = true }
      return !used
    }
    precondition(first, "a FrameSource decodes once")
  }

  /// Opens `url` (a regular file); `decoderThreads` 0 lets FFmpeg choose; at most
  /// `queueCapacity` selected frames wait for the consumer.
  public init(
    url: URL, decoderThreads: Int = 0, queueCapacity: Int = 4,
    logger: Logger = Logger(label: "faceharvest.media")
  ) throws {
    let decoder = try VideoDecoder(url: url, threads: decoderThreads, logger: logger)
    path = decoder.path
    info = decoder.info
    self.decoder = decoder
    self.logger = logger
    self.decoderThreads = decoderThreads
    queue = BoundedQueue(capacity: max(1, queueCapacity))
  }

  deinit { stop() }

  /// Starts decoding on the decode thread, once. Selected frames are converted to `size` on
  /// that thread; with `keepsPictures` each also carries its `VideoPicture`. `isCancelled` is
  /// polled after every decoded frame and ends the pass early; `onFrame` is called on the
  /// decode thread after each one. Neither may hold the source: the source holds its thread,
  /// and the thread them.
  public func start(
    _ selection: FrameSelection, size: FrameSize = .full, keepsPictures: Bool = false,
    isCancelled: @escaping @Sendable () -> Bool = { false },
    onFrame: (@Sendable (FrameSourceCounts) -> Void)? = nil
  ) {
    claim()
    let pass = DecodeThreadPass(
      decoder: decoder, queue: queue, failure: failure, tally: tally, stopping: stopping,
      selection: selection, size: size, keepsPictures: keepsPictures, isCancelled: isCancelled,
      onFrame: onFrame)
    let started = StageThread(name: "frame-source.decode") { pass.run() }
    thread.withLock { $0 = started }
  }

  /// The next selected frame, waiting for it; nil at the end of the pass (or after `stop`).
  /// Rethrows the decode thread's error.
  public func next() throws -> SourceFrame? {
    if let frame = queue.pop() { return frame }
    if let error = failure.error { throw error }
    return nil
  }

  /// At least one selected frame, and every other one already queued, up to `maximum`; empty at
  /// the end of the pass. Rethrows the decode thread's error.
  public func nextBatch(maximum: Int) throws -> [SourceFrame] {
    let frames = queue.popAvailable(maximum: max(1, maximum))
    if frames.isEmpty, let error = failure.error { throw error }
    return frames
  }

  /// What the decode thread has done so far.
  public var counts: FrameSourceCounts { tally.snapshot }

  /// Waits for the decode thread to end; rethrows its error. Call once every frame is taken.
  public func finish() throws -> FrameSourceCounts {
    thread.withLock { $0 }?.join()
    if let error = failure.error { throw error }
    return counts
  }

  /// Ends the pass early: the decode thread stops after the frame it is decoding and queued
  /// frames are dropped. Waits for the thread.
  public func stop() {
    stopping.set()
    queue.abort()
    thread.withLock { $0 }?.join()
  }

  /// The frames numbered `indices`, full size, handed to `body` on this thread in number order,
  /// each decoded from the keyframe before it after a seek (`SparseDecode`): a few frames of a
  /// long episode cost a few GOPs, not the whole stream. A stream that cannot be sought is
  /// decoded front to back (`forEach(.only(indices))`). Instead of `start`, not with it.
  public func forEachSparse(_ indices: Set<Int>, body: (SourceFrame) throws -> Void) throws {
    claim()
    var handed = Set<Int>()
    let sought = try decoder.decodeSparse(indices) { frame in
      guard let image = frame.image else { return }
      handed.insert(frame.index)
      try body(
        SourceFrame(
          index: frame.index, timestamp: frame.timestamp, image: image, picture: nil,
          frameWidth: image.width, frameHeight: image.height, previous: nil,
          isDamaged: frame.damaged))
    }
    guard !sought else { return }
    let linear = try FrameSource(
      url: URL(fileURLWithPath: path), decoderThreads: decoderThreads, logger: logger)
    try linear.forEach(.only(indices.subtracting(handed))) { frame in
      try body(frame)
      return true
    }
  }

  /// Decodes `selection` at `size` and hands each selected frame to `body`, on this thread,
  /// until `body` returns false. Returns the counts of the pass.
  @discardableResult
  public func forEach(
    _ selection: FrameSelection, size: FrameSize = .full,
    isCancelled: @escaping @Sendable () -> Bool = { false }, body: (SourceFrame) throws -> Bool
  ) throws -> FrameSourceCounts {
    start(selection, size: size, isCancelled: isCancelled)
    do {
      while let frame = try next() {
        guard try body(frame) else {
          stop()
          return counts
        }
      }
    } catch {
      stop()
      throw error
    }
    return try finish()
  }
}

/// A `FrameSource`'s counts, written by its decode thread and read by the consumer (progress);
/// every access holds the mutex.
final class FrameTally: Sendable {
  private let counts = Locked(FrameSourceCounts())

  /// Changes the counts and returns them as changed.
  @discardableResult
  func update(_ change: (inout FrameSourceCounts) -> Void) -> FrameSourceCounts {
    counts.withLock {
      change(&$0)
      return $0
    }
  }

  var snapshot: FrameSourceCounts { counts.withLock { $0 } }
}

/// Set once a `FrameSource`'s consumer stops the pass; polled by the decode thread after every
/// frame, so a sparse selection does not decode on to its next selected frame first.
final class StopFlag: Sendable {
  private let flag = Atomic(false)

  func set() { flag.store(true, ordering: .releasing) }

  var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// The decode thread's work for a `FrameSource`: decode, count, convert and queue the selected
/// frames. Holds no reference to the source, so a source dropped mid-pass stops its thread.
private struct DecodeThreadPass: Sendable {
  let decoder: VideoDecoder
  let queue: BoundedQueue<SourceFrame>
  let failure: FirstError
  let tally: FrameTally
  let stopping: StopFlag
  let selection: FrameSelection
  let size: FrameSize
  let keepsPictures: Bool
  let isCancelled: @Sendable () -> Bool
  let onFrame: (@Sendable (FrameSourceCounts) -> Void)?

  func run() {
    defer { queue.finish() }
    do {
      try decode()
    } catch {
      failure.record(error)
      queue.abort()
    }
  }

  private func decode() throws {
    var busySince = Date()
    var previous: FrameTime?
    var stoppedEarly = false
    let (frameWidth, frameHeight) = (decoder.info.width, decoder.info.height)
    let frames = try decoder.decode(
      images: selection, size: size, keepsPictures: keepsPictures
    ) { frame in
      let seen = previous
      let timestamp = max(0, frame.timestamp)
      previous = FrameTime(index: frame.index, timestamp: timestamp)
      let counts = tally.update { counts in
        counts.framesDecoded += 1
        counts.lastFrame = previous
        if frame.damaged { counts.framesDamaged += 1 }
        if frame.image != nil { counts.framesConverted += 1 }
      }
      onFrame?(counts)
      var goOn = !stopping.isSet && !isCancelled()
      if let image = frame.image, goOn {
        let busy = Date().timeIntervalSince(busySince)
        tally.update { $0.busySeconds += busy }
        goOn = queue.push(
          SourceFrame(
            index: frame.index, timestamp: timestamp, image: image, picture: frame.picture,
            frameWidth: frame.picture?.width ?? (size == .full ? image.width : frameWidth),
            frameHeight: frame.picture?.height ?? (size == .full ? image.height : frameHeight),
            previous: seen, isDamaged: frame.damaged))
        busySince = Date()
      }
      stoppedEarly = !goOn
      return goOn
    }
    let busy = Date().timeIntervalSince(busySince)
    let skipped = decoder.skippedFrames
    let keyframes = decoder.keyframes
    tally.update {
      $0.busySeconds += busy
      $0.framesSkipped = skipped
      $0.keyframes = keyframes
      $0.complete = !stoppedEarly
      if !stoppedEarly { $0.framesInVideo = frames }
    }
  }
}
