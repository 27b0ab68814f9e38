import Artifacts
import Foundation

/// The faces of one episode with their embeddings, grouped by track, and the pairs of tracks
/// that share a frame. `faces` and `embeddings` hold the accepted faces, then the probe faces
/// (`probe_faces.jsonl`, when present).
struct EpisodeFaces {
  var trackOrder: [String]
  var faces: [Face]
  var embeddings: NPYMatrix
  /// Rows of accepted faces by track.
  var facesByTrack: [String: [Int]]
  /// Rows of probe faces by track.
  var probesByTrack: [String: [Int]] = [:]
  var sharedFramePairs: [(String, String)]
  /// The rows of `tracks.jsonl` by track id.
  var tracksByID: [String: Track] = [:]
  /// Tracks with at least one row in `detections.jsonl`; nil when that file is absent.
  var tracksWithDetections: Set<String>?
  /// Mean normalised box of each track's detections.
  var meanBoxes: [String: [Double]] = [:]
  /// `shots.jsonl`, when detect-track wrote it.
  var shots: [Shot] = []

  /// Accepted faces, then probe faces, of `trackID`'s rows: the accepted ones when it has any.
  func definingRows(_ trackID: String) -> [Int] {
    facesByTrack[trackID] ?? probesByTrack[trackID] ?? []
  }

  static func load(layout: DataLayout, episode: EpisodeID) throws -> EpisodeFaces {
    let tracksURL = layout.tracks(episode)
    let facesURL = layout.faces(episode)
    let npyURL = layout.facesNPY(episode)
    for (url, what) in [
      (tracksURL, "tracks"), (facesURL, "faces (run --faces-embed)"), (npyURL, "faces.npy"),
    ]
    where !FileManager.default.fileExists(atPath: url.path) {
      throw IdentitiesError.missingInput(path: url.path, what: what)
    }
    let tracks = try JSONLReader<Track>.readAll(
      from: tracksURL, displayPath: layout.relativePath(tracksURL))
    let faces = try JSONLReader<Face>.readAll(
      from: facesURL, displayPath: layout.relativePath(facesURL))
    let embeddings = try readAligned(layout, faces.count, facesURL, npyURL)
    let known = Set(tracks.map(\.trackID))
    var loaded = EpisodeFaces(
      trackOrder: tracks.map(\.trackID), faces: faces, embeddings: embeddings,
      facesByTrack: try group(faces, from: 0, known: known, path: layout.relativePath(facesURL)),
      sharedFramePairs: [],
      tracksByID: Dictionary(
        tracks.map { ($0.trackID, $0) }, uniquingKeysWith: { first, _ in first }),
      shots: try layout.readShots(episode) ?? [])
    try loaded.appendProbes(layout: layout, episode: episode, known: known)
    try loaded.readDetections(layout: layout, episode: episode, tracks: tracks)
    return loaded
  }

  /// Appends the probe faces (`probe_faces.jsonl`/`.npy`, when present) after the accepted ones.
  private mutating func appendProbes(layout: DataLayout, episode: EpisodeID, known: Set<String>)
    throws
  {
    let probesURL = layout.probeFaces(episode)
    guard FileManager.default.fileExists(atPath: probesURL.path) else { return }
    let probes = try JSONLReader<Face>.readAll(
      from: probesURL, displayPath: layout.relativePath(probesURL))
    let probeMatrix = try Self.readAligned(
      layout, probes.count, probesURL, layout.probeFacesNPY(episode))
    if probeMatrix.rows > 0 {
      guard probeMatrix.columns == embeddings.columns || embeddings.rows == 0 else {
        throw IdentitiesError.invalidInput(
          path: layout.relativePath(layout.probeFacesNPY(episode)), line: nil,
          message: "embedding width \(probeMatrix.columns), but faces.npy has "
            + "\(embeddings.columns)")
      }
      embeddings = try NPYMatrix(
        rows: embeddings.rows + probeMatrix.rows, columns: probeMatrix.columns,
        values: embeddings.values + probeMatrix.values)
    }
    probesByTrack = try Self.group(
      probes, from: faces.count, known: known, path: layout.relativePath(probesURL))
    faces += probes
  }

  /// Tracks that share a frame, from `detections.jsonl` when present (with the tracks it has
  /// rows for and their mean boxes), else from overlapping spans.
  private mutating func readDetections(layout: DataLayout, episode: EpisodeID, tracks: [Track])
    throws
  {
    let facts = try Self.detectionFacts(layout: layout, episode: episode, tracks: tracks)
    tracksWithDetections = facts.tracksWithDetections
    meanBoxes = facts.meanBoxes
    sharedFramePairs = facts.pairs.sorted { $0.lexicographicallyPrecedes($1) }.map {
      ($0[0], $0[1])
    }
  }

  /// The sorted pairs of tracks that share a frame (the clustering rule), read from
  /// `tracks.jsonl` and `detections.jsonl` alone: no face or embedding is loaded.
  static func sharedFramePairs(layout: DataLayout, episode: EpisodeID) throws -> Set<[String]> {
    let url = layout.tracks(episode)
    let tracks = try JSONLReader<Track>.readAll(from: url, displayPath: layout.relativePath(url))
    return try detectionFacts(layout: layout, episode: episode, tracks: tracks).pairs
  }

  /// What `readDetections` learns: the sorted pairs of tracks sharing a frame, and, when
  /// `detections.jsonl` exists, the tracks it has rows for and their mean boxes.
  private static func detectionFacts(layout: DataLayout, episode: EpisodeID, tracks: [Track])
    throws -> (
      pairs: Set<[String]>, tracksWithDetections: Set<String>?, meanBoxes: [String: [Double]]
    )
  {
    var pairs = Set<[String]>()
    var tracksWithDetections: Set<String>?
    var meanBoxes: [String: [Double]] = [:]
    let detectionsURL = layout.detections(episode)
    if FileManager.default.fileExists(atPath: detectionsURL.path) {
      var frameTracks: [Int: [String]] = [:]
      var boxSums: [String: (sum: [Double], count: Int)] = [:]
      try JSONLReader<Detection>(
        url: detectionsURL, displayPath: layout.relativePath(detectionsURL)
      )
      .forEachRow { _, detection in
        guard let track = detection.trackID else { return }
        frameTracks[detection.frameIndex, default: []].append(track)
        var entry = boxSums[track] ?? ([0, 0, 0, 0], 0)
        for k in 0..<min(4, detection.bbox.count) { entry.sum[k] += detection.bbox[k] }
        entry.count += 1
        boxSums[track] = entry
      }
      tracksWithDetections = Set(boxSums.keys)
      meanBoxes = boxSums.mapValues { entry in entry.sum.map { $0 / Double(entry.count) } }
      for members in frameTracks.values where members.count > 1 {
        let unique = Array(Set(members)).sorted()
        for i in unique.indices {
          for j in (i + 1)..<unique.count { pairs.insert([unique[i], unique[j]]) }
        }
      }
    } else {
      for i in tracks.indices {
        for j in (i + 1)..<tracks.count
        where tracks[i].frameSpan[0] <= tracks[j].frameSpan[1]
          && tracks[j].frameSpan[0] <= tracks[i].frameSpan[1]
        {
          pairs.insert([tracks[i].trackID, tracks[j].trackID].sorted())
        }
      }
    }
    return (pairs, tracksWithDetections, meanBoxes)
  }

  /// The `.npy` that is row-aligned with a faces file of `lines` lines.
  private static func readAligned(_ layout: DataLayout, _ lines: Int, _ jsonl: URL, _ npy: URL)
    throws -> NPYMatrix
  {
    guard FileManager.default.fileExists(atPath: npy.path) else {
      throw IdentitiesError.missingInput(path: npy.path, what: npy.lastPathComponent)
    }
    let matrix = try NPYMatrix.read(from: npy, displayPath: layout.relativePath(npy))
    guard matrix.rows == lines else {
      throw IdentitiesError.invalidInput(
        path: layout.relativePath(npy), line: nil,
        message: "\(matrix.rows) rows but \(jsonl.lastPathComponent) has \(lines) lines")
    }
    return matrix
  }

  /// Row numbers (from `first`) of `faces` by track; a face of an unknown track is an error.
  private static func group(_ faces: [Face], from first: Int, known: Set<String>, path: String)
    throws -> [String: [Int]]
  {
    var byTrack: [String: [Int]] = [:]
    for (index, face) in faces.enumerated() {
      guard known.contains(face.trackID) else {
        throw IdentitiesError.invalidInput(
          path: path, line: index + 1, message: "track_id \(face.trackID) is not in tracks.jsonl")
      }
      byTrack[face.trackID, default: []].append(first + index)
    }
    return byTrack
  }
}
