/// How a track's detections are chosen for harvesting.
public enum SamplingMode: String, Sendable, CaseIterable, Codable {
  /// One detection at least `sample_interval` frames after the previous kept one, thinned
  /// evenly to the cap.
  case uniform
  /// The best-scoring detections up to the cap, no two closer than `sample_interval / 2`.
  case qualityWeighted = "quality-weighted"
  /// The track's frame span cut into `max_crops_per_track` equal bins, the best of each bin.
  case stratified
}

/// A detection competing for a place in its track's sample.
public struct SamplingCandidate: Sendable, Equatable {
  /// The detection's frame.
  public var frameIndex: Int
  /// The score sampling ranks by (the pre-crop quality).
  public var score: Double
  /// The caller's handle for the detection.
  public var id: Int

  /// Creates a candidate.
  public init(frameIndex: Int, score: Double, id: Int) {
    self.frameIndex = frameIndex
    self.score = score
    self.id = id
  }
}

/// The outcome of sampling one track.
public struct SamplingResult: Sendable, Equatable {
  /// Kept candidates in frame order.
  public var kept: [SamplingCandidate]
  /// Candidates the spacing rule allowed but the per-track cap removed (`track_cap`).
  public var capped: [SamplingCandidate]
}

/// Chooses which detections of a track to harvest (DECISIONS.md, "Sampling").
public struct TrackSampler: Sendable {
  /// The sampling mode.
  public var mode: SamplingMode
  /// Minimum frame distance (uniform) or twice the minimum distance (quality-weighted).
  public var sampleInterval: Int
  /// At most this many detections per track.
  public var maxPerTrack: Int

  /// Creates a sampler; `sampleInterval` below 1 counts as 1.
  public init(mode: SamplingMode, sampleInterval: Int, maxPerTrack: Int) {
    self.mode = mode
    self.sampleInterval = max(1, sampleInterval)
    self.maxPerTrack = max(0, maxPerTrack)
  }

  /// Samples one track. `frameSpan` is the track's `[first, last]` frames (stratified bins).
  public func sample(_ candidates: [SamplingCandidate], frameSpan: ClosedRange<Int>)
    -> SamplingResult
  {
    let ordered = candidates.sorted { ($0.frameIndex, $0.id) < ($1.frameIndex, $1.id) }
    guard maxPerTrack > 0 else { return SamplingResult(kept: [], capped: ordered) }
    switch mode {
    case .uniform: return uniform(ordered)
    case .qualityWeighted: return qualityWeighted(ordered)
    case .stratified: return stratified(ordered, frameSpan: frameSpan)
    }
  }

  private func uniform(_ ordered: [SamplingCandidate]) -> SamplingResult {
    var spaced: [SamplingCandidate] = []
    for candidate in ordered {
      if let last = spaced.last, candidate.frameIndex - last.frameIndex < sampleInterval {
        continue
      }
      spaced.append(candidate)
    }
    guard spaced.count > maxPerTrack else { return SamplingResult(kept: spaced, capped: []) }
    // Thin evenly: keep positions round(i · (n − 1) / (cap − 1)), first and last included.
    let keptPositions: Set<Int>
    if maxPerTrack == 1 {
      keptPositions = [(spaced.count - 1) / 2]
    } else {
      keptPositions = Set(
        (0..<maxPerTrack).map { index in
          Int((Double(index) * Double(spaced.count - 1) / Double(maxPerTrack - 1)).rounded())
        })
    }
    var kept: [SamplingCandidate] = []
    var capped: [SamplingCandidate] = []
    for (position, candidate) in spaced.enumerated() {
      if keptPositions.contains(position) {
        kept.append(candidate)
      } else {
        capped.append(candidate)
      }
    }
    return SamplingResult(kept: kept, capped: capped)
  }

  private func qualityWeighted(_ ordered: [SamplingCandidate]) -> SamplingResult {
    let minimumGap = Double(sampleInterval) / 2
    let ranked = ordered.sorted { ($1.score, $0.frameIndex) < ($0.score, $1.frameIndex) }
    var kept: [SamplingCandidate] = []
    var capped: [SamplingCandidate] = []
    for candidate in ranked {
      let tooClose = kept.contains {
        Double(abs($0.frameIndex - candidate.frameIndex)) < minimumGap
      }
      if tooClose { continue }
      if kept.count < maxPerTrack { kept.append(candidate) } else { capped.append(candidate) }
    }
    return SamplingResult(
      kept: kept.sorted { $0.frameIndex < $1.frameIndex },
      capped: capped.sorted { $0.frameIndex < $1.frameIndex })
  }

  private func stratified(_ ordered: [SamplingCandidate], frameSpan: ClosedRange<Int>)
    -> SamplingResult
  {
    let length = frameSpan.count
    var best: [Int: SamplingCandidate] = [:]
    var capped: [SamplingCandidate] = []
    for candidate in ordered {
      let offset = min(max(candidate.frameIndex - frameSpan.lowerBound, 0), length - 1)
      let bin = min(maxPerTrack - 1, offset * maxPerTrack / length)
      if let current = best[bin] {
        if candidate.score > current.score {
          capped.append(current)
          best[bin] = candidate
        } else {
          capped.append(candidate)
        }
      } else {
        best[bin] = candidate
      }
    }
    return SamplingResult(
      kept: best.values.sorted { $0.frameIndex < $1.frameIndex },
      capped: capped.sorted { $0.frameIndex < $1.frameIndex })
  }
}
