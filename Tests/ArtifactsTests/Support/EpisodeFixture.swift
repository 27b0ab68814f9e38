import Foundation

@testable import Artifacts

/// The artifacts of the fixture episode.
enum FixtureArtifact: String, Sendable, CaseIterable {
  case tracks, detections, faces, identities, trackMetrics, cleanupReport, facesNPY,
    trackEmbeddings, shots, screenTime, screenTimeCSV

  var relativePath: String {
    let episode = EpisodeFixture.episode
    switch self {
    case .tracks: return "manifests/\(episode)/tracks.jsonl"
    case .detections: return "manifests/\(episode)/detections.jsonl"
    case .faces: return "manifests/\(episode)/faces.jsonl"
    case .identities: return "manifests/\(episode)/identities.json"
    case .trackMetrics: return "manifests/\(episode)/track_metrics.json"
    case .cleanupReport: return "manifests/\(episode)/cleanup_report.json"
    case .facesNPY: return "embeds/\(episode)/faces.npy"
    case .trackEmbeddings: return "embeds/\(episode)/track_embeddings.npy"
    case .shots: return "manifests/\(episode)/shots.jsonl"
    case .screenTime: return "analytics/\(episode)/screentime.json"
    case .screenTimeCSV: return "analytics/\(episode)/screentime.csv"
    }
  }
}

/// A small, fully valid episode whose artifacts tests can damage one rule at a time.
///
/// Tracks 1–3 (frames 0–20, 10–40, 30–50); six detections with `track_id`; four faces of width 8
/// with `faces.npy`; two identities (tracks 1+2, and 3); track metrics; a clean-up report;
/// `track_embeddings.npy`; two shots (frames 0–50, 51–60); screen time (JSON and CSV).
struct EpisodeFixture: Sendable {
  static let episode = Samples.episode
  static let width = 8

  enum Content: Sendable {
    case value(JSONValue)
    case raw(String)
  }

  var lines: [FixtureArtifact: [Content]] = [:]
  var documents: [FixtureArtifact: Content] = [:]
  var facesNPY: [[Float]]?
  var trackEmbeddings: [[Float]]?
  var rawNPY: Data?

  static let trackModels = [
    Samples.track(1, frames: 0...20), Samples.track(2, frames: 10...40),
    Samples.track(3, frames: 30...50),
  ]
  static let detectionModels = [(0, 1), (5, 1), (10, 2), (20, 2), (30, 3), (45, 3)].map {
    Samples.detection(frame: $0.0, trackID: ArtifactID.track($0.1))
  }
  static let faceModels = [(1, 5), (1, 15), (2, 20), (3, 40)].enumerated().map {
    Samples.face($0.offset + 1, track: $0.element.0, frame: $0.element.1, width: width)
  }
  static let trackEmbeddingRows = (1...3).map { unitVector(seed: 100 + $0, width: width) }

  /// The valid fixture, as JSON values ready to be damaged.
  static func valid() throws -> EpisodeFixture {
    var fixture = EpisodeFixture()
    fixture.lines[.tracks] = try trackModels.map { .value(try value(of: $0)) }
    fixture.lines[.detections] = try detectionModels.map { .value(try value(of: $0)) }
    fixture.lines[.faces] = try faceModels.map { .value(try value(of: $0)) }
    fixture.documents[.identities] = .value(try value(of: Samples.identities()))
    fixture.documents[.trackMetrics] = .value(try value(of: Samples.trackMetrics()))
    fixture.documents[.cleanupReport] = .value(try value(of: Samples.cleanupReport()))
    fixture.lines[.shots] = try Samples.shots().map { .value(try value(of: $0)) }
    fixture.documents[.screenTime] = .value(try value(of: Samples.screenTime()))
    fixture.documents[.screenTimeCSV] = .raw(ScreenTimeCSV.text(Samples.screenTime()))
    fixture.facesNPY = faceModels.map(\.embedding)
    fixture.trackEmbeddings = trackEmbeddingRows
    return fixture
  }

  /// Writes the valid fixture with the library's own writers (JSONLWriter, AtomicFile,
  /// NPYMatrix, ArtifactTransaction), as a pipeline stage would.
  static func writeWithLibrary(to root: URL) throws {
    let layout = DataLayout(root: root)
    let episode = try EpisodeID(Self.episode)
    try JSONLWriter.write(trackModels, to: layout.tracks(episode))
    try JSONLWriter.write(detectionModels, to: layout.detections(episode))
    try JSONLWriter.write(faceModels, to: layout.faces(episode))
    try NPYMatrix(rowVectors: faceModels.map(\.embedding)).write(to: layout.facesNPY(episode))
    try NPYMatrix(rowVectors: trackEmbeddingRows).write(to: layout.trackEmbeddingsNPY(episode))
    try JSONLWriter<Face>.write([], to: layout.probeFaces(episode))
    try NPYMatrix(rows: 0, columns: width, values: []).write(to: layout.probeFacesNPY(episode))
    try AtomicFile.writeJSON(Samples.identities(), to: layout.identities(episode))
    try AtomicFile.writeJSON(Samples.trackMetrics(), to: layout.trackMetrics(episode))
    try AtomicFile.writeJSON(Samples.cleanupReport(), to: layout.cleanupReport(episode))
    try JSONLWriter.write(Samples.shots(), to: layout.shots(episode))
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "fixture")
    try transaction.stageJSON(Samples.screenTime(), at: layout.screentimeJSON(episode))
    try transaction.stage(
      Data(ScreenTimeCSV.text(Samples.screenTime()).utf8), at: layout.screentimeCSV(episode))
    try transaction.commit()
  }

  static func value<T: Encodable>(of model: T) throws -> JSONValue {
    try JSONValue.parse(
      try ArtifactJSON.encode(model, with: ArtifactJSON.lineEncoder(), file: nil, line: nil))
  }

  // MARK: Edits

  /// Sets (or with `nil` removes) the field at `path` of JSON Lines row `line` (1-based).
  mutating func set(_ artifact: FixtureArtifact, line: Int, _ path: String, _ value: JSONValue?) {
    guard case .value(let row)? = lines[artifact]?[line - 1] else { return }
    lines[artifact]?[line - 1] = .value(row.replacing(parsePath(path), with: value))
  }

  /// Sets (or removes) the field at `path` of a JSON document.
  mutating func set(_ artifact: FixtureArtifact, _ path: String, _ value: JSONValue?) {
    guard case .value(let document)? = documents[artifact] else { return }
    documents[artifact] = .value(document.replacing(parsePath(path), with: value))
  }

  /// Appends a copy of row `line`.
  mutating func appendCopy(_ artifact: FixtureArtifact, of line: Int) {
    guard let row = lines[artifact]?[line - 1] else { return }
    lines[artifact]?.append(row)
  }

  /// Inserts a raw text line so that it becomes line `line`.
  mutating func insertRaw(_ artifact: FixtureArtifact, at line: Int, _ text: String) {
    lines[artifact]?.insert(.raw(text), at: line - 1)
  }

  /// Replaces line `line` by raw text.
  mutating func replaceRaw(_ artifact: FixtureArtifact, line: Int, _ text: String) {
    lines[artifact]?[line - 1] = .raw(text)
  }

  /// Replaces `old` by `new` in the serialized text of row `line`.
  mutating func replaceText(_ artifact: FixtureArtifact, line: Int, _ old: String, _ new: String)
    throws
  {
    guard case .value(let row)? = lines[artifact]?[line - 1] else { return }
    lines[artifact]?[line - 1] = .raw(try row.jsonText().replacingOccurrences(of: old, with: new))
  }

  /// Sets the embedding of face line `line` in both faces.jsonl and faces.npy.
  mutating func setEmbedding(line: Int, _ embedding: [Float]) {
    set(.faces, line: line, "embedding", .array(embedding.map { .number(Double($0)) }))
    if embedding.count == Self.width { facesNPY?[line - 1] = embedding }
  }

  mutating func remove(_ artifact: FixtureArtifact) {
    switch artifact {
    case .facesNPY: facesNPY = nil
    case .trackEmbeddings: trackEmbeddings = nil
    case .tracks, .detections, .faces, .shots: lines[artifact] = nil
    case .identities, .trackMetrics, .cleanupReport, .screenTime, .screenTimeCSV:
      documents[artifact] = nil
    }
  }

  // MARK: Writing

  func write(to root: URL) throws {
    for artifact in FixtureArtifact.allCases {
      let url = root.appendingPathComponent(artifact.relativePath)
      switch artifact {
      case .tracks, .detections, .faces, .shots:
        guard let rows = lines[artifact] else { continue }
        let text = try rows.map { row -> String in
          switch row {
          case .value(let value): return try value.jsonText()
          case .raw(let text): return text
          }
        }
        try writeText(text.map { $0 + "\n" }.joined(), to: url)
      case .identities, .trackMetrics, .cleanupReport, .screenTime, .screenTimeCSV:
        switch documents[artifact] {
        case .value(let value)?: try writeText(try value.jsonText(), to: url)
        case .raw(let text)?: try writeText(text, to: url)
        case nil: continue
        }
      case .facesNPY:
        if let rawNPY {
          try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
          try rawNPY.write(to: url)
        } else if let facesNPY {
          try NPYMatrix(rowVectors: facesNPY, columns: Self.width).write(to: url)
        }
      case .trackEmbeddings:
        if let trackEmbeddings {
          try NPYMatrix(
            rowVectors: trackEmbeddings, columns: trackEmbeddings.first?.count ?? Self.width
          )
          .write(to: url)
        }
      }
    }
  }

  /// Writes the fixture to a fresh data root and validates it.
  func validate(expectedEmbeddingWidth: Int? = nil) throws -> ValidationReport {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    try write(to: directory.url)
    return ArtifactValidator(
      layout: DataLayout(root: directory.url), episode: try EpisodeID(Self.episode)
    ).validate(expectedEmbeddingWidth: expectedEmbeddingWidth)
  }
}
