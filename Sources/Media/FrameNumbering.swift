import CFFmpeg

/// The one `frame_idx` scheme of the pipeline (docs/detect_track.md, "Frame numbers"): a frame's
/// number is the rank of its presentation timestamp among the timestamps of every packet of the
/// stream. It depends on the container alone, never on what the decoder made of a packet or on
/// which frames a stage asked for: a corrupt packet the decoder drops leaves a gap at its own
/// number and shifts no other frame. Only a stream whose packets carry no timestamps at all
/// (a raw elementary stream) is numbered by counting decoded frames, there being nothing else.
struct FrameNumbering {
  /// How frames are numbered; fixed by the first packet of the stream.
  enum Mode: Equatable {
    /// No packet read yet.
    case undecided
    /// By the rank of the presentation timestamp among the packets' timestamps.
    case presentationRank
    /// By counting decoded frames (no packet has a timestamp).
    case decodeOrder
  }

  /// An inconsistency that makes frame numbers ambiguous.
  enum Failure: Error, Equatable {
    /// A packet without a timestamp in a stream whose first packet had one.
    case packetWithoutTimestamp
  }

  private(set) var mode = Mode.undecided
  private var ranks = PresentationRanks()
  private var framesNumbered = 0

  /// Records a packet read from the stream (`pts` nil when it has no timestamp).
  mutating func record(packetPTS pts: Int64?) throws(Failure) {
    switch (mode, pts) {
    case (.undecided, nil):
      mode = .decodeOrder
    case (.undecided, let pts?):
      mode = .presentationRank
      ranks.insert(pts)
    case (.presentationRank, let pts?):
      ranks.insert(pts)
    case (.presentationRank, nil):
      throw .packetWithoutTimestamp
    case (.decodeOrder, _):
      break
    }
  }

  /// The number of the packet with timestamp `pts` (presentation-rank mode only): final once
  /// every packet presented before it has been read.
  func number(ofPacket pts: Int64) -> Int { ranks.rank(of: pts) }

  /// The number of the next decoded frame, whose timestamp is `pts`; nil when it cannot be
  /// numbered (no timestamp in a stream numbered by timestamps).
  mutating func number(ofFrame pts: Int64?) -> Int? {
    defer { framesNumbered += 1 }
    switch mode {
    case .presentationRank: return pts.map(ranks.rank(of:))
    case .undecided, .decodeOrder: return framesNumbered
    }
  }
}

/// Presentation timestamps read so far, sorted: a frame's presentation-order index is the
/// number of timestamps smaller than its own.
struct PresentationRanks {
  private var sorted: [Int64] = []

  mutating func insert(_ pts: Int64) {
    if let last = sorted.last, pts < last {
      sorted.insert(pts, at: lowerBound(pts))
    } else {
      sorted.append(pts)
    }
  }

  func rank(of pts: Int64) -> Int { lowerBound(pts) }

  private func lowerBound(_ pts: Int64) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle] < pts { low = middle + 1 } else { high = middle }
    }
    return low
  }
}

/// H.264 in MP4/MOV/MKV form (length-prefixed NAL units, "avcC" extradata).
struct LengthPrefixedH264 {
  /// Bytes of each NAL unit's length prefix (1, 2 or 4).
  let nalLengthSize: Int

  /// The layout of `parameters`' stream; nil unless it is H.264 with "avcC" extradata.
  init?(_ parameters: UnsafeMutablePointer<AVCodecParameters>?) {
    guard let parameters, parameters.pointee.codec_id == AV_CODEC_ID_H264,
      parameters.pointee.extradata_size >= 7, let extradata = parameters.pointee.extradata,
      extradata[0] == 1
    else { return nil }
    nalLengthSize = Int(extradata[4] & 3) + 1
  }

  /// Whether an access unit holds only non-reference slices (`nal_ref_idc` 0), so no other
  /// frame depends on it.
  func isDisposable(_ packet: UnsafeMutablePointer<AVPacket>) -> Bool {
    guard let data = packet.pointee.data else { return false }
    let size = Int(packet.pointee.size)
    var offset = 0
    var sawSlice = false
    while offset + nalLengthSize < size {
      var length = 0
      for byte in 0..<nalLengthSize { length = length << 8 | Int(data[offset + byte]) }
      let header = data[offset + nalLengthSize]
      if (1...5).contains(header & 0x1F) {
        if header & 0x60 != 0 { return false }
        sawSlice = true
      }
      offset += nalLengthSize + length
    }
    return sawSlice
  }
}
