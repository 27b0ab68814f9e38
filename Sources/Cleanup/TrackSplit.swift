import Artifacts

/// What `split_tracks` does to the artifacts once it knows where each split track switches
/// identity (docs/identities.md, "Clean-up"): each split track becomes two new tracks numbered
/// after the highest in use, and every row that named it is relabelled by its frame. Pure: the
/// pass reads and commits around it.
struct TrackSplit {
  /// The first frame of the second half, by split track.
  let switchFrames: [String: Int]
  /// The two new ids of each split track.
  let newIDs: [String: (before: String, after: String)]

  /// Numbers the halves of the tracks in `switchFrames`, in `tracks` order.
  init(switchFrames: [String: Int], tracks: [Track]) {
    self.switchFrames = switchFrames
    var next =
      (tracks.compactMap { ArtifactID.number(in: $0.trackID, prefix: "track") }.max() ?? 0) + 1
    var newIDs: [String: (before: String, after: String)] = [:]
    for track in tracks where switchFrames[track.trackID] != nil {
      newIDs[track.trackID] = (ArtifactID.track(next), ArtifactID.track(next + 1))
      next += 2
    }
    self.newIDs = newIDs
  }

  /// The id of `trackID` at `frame` after the split.
  func renamed(_ trackID: String, frame: Int) -> String {
    guard let ids = newIDs[trackID], let switchAt = switchFrames[trackID] else { return trackID }
    return frame < switchAt ? ids.before : ids.after
  }

  /// A new track's span and statistics, from its detections.
  struct Span {
    var first = Int.max, last = Int.min, start = 0.0, end = 0.0, count = 0, confidence = 0.0
  }

  /// The detections relabelled, and the span of each new track.
  func relabel(_ detections: [Detection]) -> (detections: [Detection], spans: [String: Span]) {
    var detections = detections
    var spans: [String: Span] = [:]
    for index in detections.indices {
      guard let trackID = detections[index].trackID, newIDs[trackID] != nil else { continue }
      let row = detections[index]
      let id = renamed(trackID, frame: row.frameIndex)
      detections[index].trackID = id
      var span = spans[id] ?? Span()
      if row.frameIndex < span.first { (span.first, span.start) = (row.frameIndex, row.timestamp) }
      if row.frameIndex > span.last { (span.last, span.end) = (row.frameIndex, row.timestamp) }
      span.count += 1
      span.confidence += row.conf
      spans[id] = span
    }
    return (detections, spans)
  }

  /// `tracks` with each split track replaced by its halves that kept detections, each half
  /// with the review thumbnails of its frames (`relabelThumbs`).
  func tracks(_ tracks: [Track], spans: [String: Span]) -> [Track] {
    let thumbs = relabelThumbs(tracks).thumbs
    return tracks.flatMap { track -> [Track] in
      guard let ids = newIDs[track.trackID] else { return [track] }
      return [ids.before, ids.after].compactMap { id in
        guard let span = spans[id], span.count > 0 else { return nil }
        return Track(
          trackID: id, epID: track.epID, startSeconds: span.start, endSeconds: span.end,
          frameSpan: [span.first, span.last], sampleThumbs: thumbs[id] ?? [],
          stats: TrackStats(detections: span.count, avgConf: span.confidence / Double(span.count)))
      }
    }
  }

  /// The review thumbnails (`sample_thumbs`) of the split tracks, each given to the half that
  /// holds its frame: the new paths by new track, and each file's move to its new folder.
  func relabelThumbs(_ tracks: [Track]) -> (
    thumbs: [String: [String]], moves: [(from: String, to: String)]
  ) {
    var thumbs: [String: [String]] = [:]
    var moves: [(from: String, to: String)] = []
    for track in tracks where newIDs[track.trackID] != nil {
      for path in track.sampleThumbs {
        // Only review thumbnails move; an older harvest listed its crops here, which move with
        // their faces.
        guard let frame = DataLayout.frameIndex(ofCropPath: path),
          path == DataLayout.reviewThumbRelativePath(trackID: track.trackID, frameIndex: frame)
        else { continue }
        let id = renamed(track.trackID, frame: frame)
        let moved = DataLayout.reviewThumbRelativePath(trackID: id, frameIndex: frame)
        thumbs[id, default: []].append(moved)
        moves.append((path, moved))
      }
    }
    return (thumbs, moves)
  }

  /// The faces relabelled, and each crop's move to its new track's folder.
  func relabel(_ faces: [Face]) -> (faces: [Face], moves: [(from: String, to: String)]) {
    var faces = faces
    var moves: [(from: String, to: String)] = []
    for index in faces.indices where newIDs[faces[index].trackID] != nil {
      let id = renamed(faces[index].trackID, frame: faces[index].frameIndex)
      if !faces[index].cropPath.isEmpty {
        let path = DataLayout.cropRelativePath(trackID: id, frameIndex: faces[index].frameIndex)
        moves.append((faces[index].cropPath, path))
        faces[index].cropPath = path
      }
      faces[index].trackID = id
    }
    return (faces, moves)
  }

  /// A split track's identity now holds both halves (a recluster separates them).
  func relabel(_ document: IdentitiesDocument, spans: [String: Span], timestamp: String)
    -> IdentitiesDocument
  {
    var document = document
    for index in document.identities.indices {
      let old = document.identities[index].trackIDs
      guard old.contains(where: { newIDs[$0] != nil }) else { continue }
      document.identities[index].trackIDs = old.flatMap { id -> [String] in
        guard let ids = newIDs[id] else { return [id] }
        return [ids.before, ids.after].filter { spans[$0] != nil }
      }
      document.identities[index].updatedAt = timestamp
    }
    // A person's "not one person" holds for both halves (docs/identities.md).
    if let pairs = document.metadata.rejectedPairs {
      let halves = { (id: String) -> [String] in
        guard let ids = self.newIDs[id] else { return [id] }
        return [ids.before, ids.after].filter { spans[$0] != nil }
      }
      document.metadata.rejectedPairs = IdentitiesMetadata.normalisedPairs(
        pairs.flatMap { pair in
          halves(pair[0]).flatMap { left in halves(pair[1]).map { [left, $0] } }
        })
    }
    return document
  }

  /// How many of `tracks` are halves of a split.
  func newTracks(in tracks: [Track]) -> Int {
    tracks.filter { track in
      newIDs.values.contains { $0.before == track.trackID || $0.after == track.trackID }
    }.count
  }
}
