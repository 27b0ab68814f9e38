import Foundation
public import Logging

/// Validates every artifact of one episode against the spec (§10) and DECISIONS.md, reporting
/// every violation rather than stopping at the first.
///
/// Per line or document: valid JSON, `schema_version`, every required field present with the
/// right JSON type, and the value rules of `ArtifactSchemas` (bbox and landmarks normalised,
/// confidences in [0, 1], unit-norm embeddings, id formats, ordered spans, …). Across rows and
/// files: duplicate ids, one embedding width for all faces (and the expected one when given),
/// every `track_id` of detections, faces and identities present in `tracks.jsonl` (and the
/// frame inside the track's span), a track in at most one identity, and `faces.npy` row i equal
/// to line i of `faces.jsonl`. Missing artifacts are listed as absent, except that
/// `faces.jsonl` and `faces.npy` need each other, and tracks must exist when anything refers to
/// them. Malformed lines become violations; `validate` never throws. A commit a killed writer
/// left is finished first (the hot-journal rule, `CommittedArtifacts.open`); while a writer's
/// commit is under way it reads the whole new set through the journal, and a journal that
/// cannot be followed is a violation.
public struct ArtifactValidator: Sendable {
  /// The tolerance on an embedding's Euclidean norm.
  public static let normTolerance = 0.01
  /// The largest difference allowed between a `faces.npy` value and its `faces.jsonl` twin.
  public static let embeddingTolerance = 1e-6

  /// Where the episode's artifacts live.
  public let layout: DataLayout
  /// The episode validated.
  public let episode: EpisodeID
  private let logger: Logger

  /// A validator for `episode` under `layout`'s data root.
  public init(
    layout: DataLayout, episode: EpisodeID,
    logger: Logger = Logger(label: "faceharvest.artifacts.validate")
  ) {
    self.layout = layout
    self.episode = episode
    self.logger = logger
  }

  /// Checks every artifact of the episode.
  ///
  /// - Parameter expectedEmbeddingWidth: the model's output width; when given every embedding
  ///   (and `faces.npy`) must have it, otherwise all rows must merely agree.
  /// - Parameter framesNow: counts the video's frames, for the message when it changed since
  ///   the artifacts were made (nil: the message gives sizes).
  public func validate(
    expectedEmbeddingWidth: Int? = nil, framesNow: (() -> Int?)? = nil
  ) -> ValidationReport {
    var run = ValidationRun(
      layout: layout, episode: episode, expectedWidth: expectedEmbeddingWidth, logger: logger)
    run.validateAll()
    run.validateProvenance(framesNow: framesNow ?? { nil })
    return ValidationReport(
      violations: run.checker.violations, checked: run.checked, absent: run.absent.sorted(),
      notes: run.notes)
  }
}

/// The state of one validation pass (`shots.jsonl` and the screen-time files are checked in
/// their own files, `ShotsValidation.swift` and `ScreenTimeValidation.swift`).
struct ValidationRun {
  struct KnownTrack {
    var line: Int
    var frameSpan: ClosedRange<Int>?
  }

  let layout: DataLayout
  let episode: EpisodeID
  let logger: Logger
  /// The episode's artifacts as last committed (through the journal when there is one).
  let committed: CommittedArtifacts
  var checker: RuleChecker
  var checked: [String: Int] = [:]
  var absent: [String] = []
  /// Information for the report that is not a violation.
  var notes: [String] = []
  /// Tracks of `tracks.jsonl` by id; `nil` when the file is absent.
  var tracks: [String: KnownTrack]?
  /// The embedding width every face must have, once known.
  var embeddingWidth: (width: Int, source: String)?

  init(layout: DataLayout, episode: EpisodeID, expectedWidth: Int?, logger: Logger) {
    self.layout = layout
    self.episode = episode
    self.logger = logger
    // The hot-journal rule (docs/artifacts.md, "Commits"): a killed writer's commit is finished
    // first, so that a clean report means the published files are one complete set.
    committed = CommittedArtifacts.open(layout: layout, episode: episode, reader: "validate")
    if committed.pending != .none { notes.append(committed.pending.description) }
    checker = RuleChecker(episode: episode.rawValue)
    if let expectedWidth { embeddingWidth = (expectedWidth, "the expected width") }
  }

  mutating func validateAll() {
    if let problem = committed.journalProblem {
      let journal = name(CommitJournal.url(layout: layout, episode: episode))
      checker.report(Location(artifact: journal), field: "", Self.reason(problem, journal))
    }
    let tracksURL = layout.tracks(episode)
    var needsTracks: [String] = []
    if exists(tracksURL) {
      validateTracks(tracksURL)
    } else {
      absent.append(name(tracksURL))
    }
    validateShots(layout.shots(episode))

    let detectionsURL = layout.detections(episode)
    if exists(detectionsURL) {
      if validateDetections(detectionsURL) { needsTracks.append(name(detectionsURL)) }
    } else {
      absent.append(name(detectionsURL))
    }

    var faceIDs: [String: String] = [:]
    for (facesURL, npyURL) in [
      (layout.faces(episode), layout.facesNPY(episode)),
      (layout.probeFaces(episode), layout.probeFacesNPY(episode)),
    ] where validateFacePair(facesURL, npyURL, faceIDs: &faceIDs) {
      needsTracks.append(name(facesURL))
    }

    let identitiesURL = layout.identities(episode)
    let identities = readDocument(identitiesURL)
    if let document = identities {
      validateIdentities(document, at: Location(artifact: name(identitiesURL)))
      needsTracks.append(name(identitiesURL))
    }
    if let document = readDocument(layout.trackMetrics(episode)) {
      _ = checker.checkObject(
        document, rules: ArtifactSchemas.trackMetrics,
        at: Location(artifact: name(layout.trackMetrics(episode))))
    }
    if let document = readDocument(layout.cleanupReport(episode)) {
      _ = checker.checkObject(
        document, rules: ArtifactSchemas.cleanupReport,
        at: Location(artifact: name(layout.cleanupReport(episode))))
    }
    validateTrackEmbeddings(layout.trackEmbeddingsNPY(episode))
    validateScreenTime(identities: identities)

    if tracks == nil, !needsTracks.isEmpty {
      checker.report(
        Location(artifact: name(tracksURL)), field: "",
        "missing, but \(needsTracks.joined(separator: ", ")) refer to tracks")
    }
    logger.debug(
      "validated \(episode)",
      metadata: [
        "violations": "\(checker.violations.count)", "absent": "\(absent.joined(separator: ", "))",
      ])
  }

  // MARK: provenance.json

  /// Stale artifacts (docs/artifacts.md, "What artifacts were made from"): one violation per
  /// stage whose video or upstream artifacts changed since it ran, on its first artifact.
  mutating func validateProvenance(framesNow: () -> Int?) {
    let url = layout.provenance(episode)
    guard exists(url) else { return }
    do {
      var check = ProvenanceCheck(layout: layout, episode: episode)
      let video = try ContentHash.videoIdentity(
        of: layout.video(episode), displayPath: name(layout.video(episode)))
      for finding in try check.findings(
        of: ProvenanceStage.allCases, video: video, framesNow: framesNow)
      {
        checker.report(Location(artifact: finding.artifact), field: "", "stale: \(finding.message)")
      }
      checked[name(url)] = 1
    } catch {
      checker.report(Location(artifact: name(url)), field: "", Self.reason(error, name(url)))
    }
  }

  // MARK: tracks.jsonl

  mutating func validateTracks(_ url: URL) {
    var known: [String: KnownTrack] = [:]
    forEachLine(url, rules: ArtifactSchemas.track) { run, members, location in
      let start = members["start_s"]?.doubleValue
      let end = members["end_s"]?.doubleValue
      if let start, let end, start > end {
        run.checker.report(
          location, field: "start_s", value: JSONValue.format(start),
          "must be ≤ end_s (\(JSONValue.format(end)))")
      }
      guard let id = members["track_id"]?.stringValue else { return }
      if let first = known[id] {
        run.checker.report(
          location, field: "track_id", value: JSONValue.quoted(id),
          "duplicate track_id (first on line \(first.line))")
        return
      }
      known[id] = KnownTrack(line: location.line ?? 0, frameSpan: Self.frameSpan(members))
      run.checkSampleThumbs(members, trackID: id, at: location)
    }
    tracks = known
  }

  /// Each `sample_thumbs` entry names a crop or review thumbnail of its own track
  /// (`crops/{track_id}/thumb_{frame_idx:06d}.jpg`, or an older harvest's `frame_`/`probe_`
  /// crop) at a frame in the track's span (docs/artifacts.md, "tracks.jsonl").
  mutating func checkSampleThumbs(
    _ members: [String: JSONValue], trackID: String, at location: Location
  ) {
    let span = Self.frameSpan(members)
    for (index, entry) in (members["sample_thumbs"]?.arrayValue ?? []).enumerated() {
      guard let path = entry.stringValue else { continue }
      let frame = DataLayout.frameIndex(ofCropPath: path)
      let ownTrack = path.hasPrefix("crops/\(DataLayout.safeComponent(trackID))/")
      if frame == nil || !ownTrack || path.split(separator: "/").count != 3 {
        checker.report(
          location, field: "sample_thumbs[\(index)]", value: JSONValue.quoted(path),
          "must be crops/\(trackID)/thumb_NNNNNN.jpg (a thumbnail of this track)")
      } else if let frame, let span, !span.contains(frame) {
        checker.report(
          location, field: "sample_thumbs[\(index)]", value: JSONValue.quoted(path),
          "frame \(frame) is outside the frame_span [\(span.lowerBound), \(span.upperBound)]")
      }
    }
  }

  /// Checks that a row's `track_id` is a track of `tracks.jsonl` and its `frame_idx` lies in
  /// that track's span. Silent when `tracks.jsonl` is absent (reported once instead).
  mutating func checkTrackReference(
    _ members: [String: JSONValue], field: String = "track_id", at location: Location
  ) {
    guard let tracks, let id = members[field]?.stringValue, ArtifactID.isValidTrackID(id) else {
      return
    }
    guard let track = tracks[id] else {
      checker.report(location, field: field, value: JSONValue.quoted(id), "not in tracks.jsonl")
      return
    }
    if let frame = members["frame_idx"]?.intValue, let span = track.frameSpan,
      !span.contains(frame)
    {
      checker.report(
        location, field: "frame_idx", value: String(frame),
        "outside the frame_span [\(span.lowerBound), \(span.upperBound)] of \(id)")
    }
  }

  // MARK: detections.jsonl

  /// Returns whether any row carries a `track_id`.
  mutating func validateDetections(_ url: URL) -> Bool {
    var refersToTracks = false
    forEachLine(url, rules: ArtifactSchemas.detection) { run, members, location in
      if members["track_id"] != nil { refersToTracks = true }
      run.checkTrackReference(members, at: location)
    }
    return refersToTracks
  }

  // MARK: faces.jsonl + faces.npy (and probe_faces.jsonl + probe_faces.npy)

  /// Validates a row-aligned JSON Lines + `.npy` pair of faces; true when the JSON Lines file
  /// exists (it refers to tracks). `faceIDs` maps each face_id seen to where, across both pairs.
  mutating func validateFacePair(_ facesURL: URL, _ npyURL: URL, faceIDs: inout [String: String])
    -> Bool
  {
    let (jsonlName, npyName) = (facesURL.lastPathComponent, npyURL.lastPathComponent)
    switch (exists(facesURL), exists(npyURL)) {
    case (true, let hasNPY):
      validateFaces(
        facesURL, npyURL: npyURL, npy: hasNPY ? loadNPY(npyURL) : nil, faceIDs: &faceIDs)
      if !hasNPY {
        checker.report(
          Location(artifact: name(npyURL)), field: "",
          "missing, but \(jsonlName) exists (row i of \(npyName) is line i of \(jsonlName))")
      }
      return true
    case (false, true):
      _ = loadNPY(npyURL)
      checker.report(
        Location(artifact: name(facesURL)), field: "",
        "missing, but \(npyName) exists (row i of \(npyName) is line i of \(jsonlName))")
    case (false, false):
      absent += [name(facesURL), name(npyURL)]
    }
    return false
  }

  mutating func validateFaces(
    _ url: URL, npyURL: URL, npy: NPYMatrix?, faceIDs: inout [String: String]
  ) {
    let npyName = name(npyURL)
    if let npy, npy.rows > 0 {
      checkWidth(
        npy.columns, at: Location(artifact: npyName), field: "shape[1]", value: "\(npy.columns)")
    }
    let artifact = name(url)
    var seen = faceIDs
    let lineOfThisFile = artifact + ":"
    forEachLine(url, rules: ArtifactSchemas.face) { run, members, location in
      let line = location.line ?? 0
      if let id = members["face_id"]?.stringValue {
        if let first = seen[id] {
          let place =
            first.hasPrefix(lineOfThisFile)
            ? "on line \(first.dropFirst(lineOfThisFile.count))" : "at \(first)"
          run.checker.report(
            location, field: "face_id", value: JSONValue.quoted(id),
            "duplicate face_id (first \(place))")
        } else {
          seen[id] = "\(artifact):\(line)"
        }
      }
      run.checkTrackReference(members, at: location)
      run.checkCropPath(members, at: location, probe: url == run.layout.probeFaces(run.episode))
      if let rank = members["probe_rank"]?.intValue,
        let total = members["track_probes"]?.intValue, rank > total
      {
        run.checker.report(
          location, field: "probe_rank", value: "\(rank)",
          "must be at most track_probes (\(total)): the rank among the track's probes")
      }
      if let reason = members["rejection_reason"]?.stringValue, !reason.isEmpty {
        run.checker.report(
          location, field: "rejection_reason", value: JSONValue.quoted(reason),
          "faces.jsonl holds accepted faces only; rejected faces belong in crops_debug.jsonl")
      }
      guard let embedding = members["embedding"]?.numbers, !embedding.isEmpty else { return }
      run.checkWidth(
        embedding.count, at: location, field: "embedding", value: "\(embedding.count) values")
      if let npy {
        run.compare(embedding, withRow: line - 1, of: npy, npyName: npyName, jsonlName: artifact)
      }
    }
    faceIDs = seen
    let lines = checked[artifact] ?? 0
    if let npy, npy.rows != lines {
      checker.report(
        Location(artifact: npyName), field: "shape[0]", value: "\(npy.rows)",
        "must equal the number of lines of \(url.lastPathComponent) (\(lines)): row i is line i")
    }
  }

  mutating func checkCropPath(
    _ members: [String: JSONValue], at location: Location, probe: Bool
  ) {
    guard let path = members["crop_path"]?.stringValue, !path.isEmpty,
      let trackID = members["track_id"]?.stringValue,
      let frame = members["frame_idx"]?.intValue
    else { return }
    let expected =
      probe
      ? DataLayout.probeCropRelativePath(trackID: trackID, frameIndex: frame)
      : DataLayout.cropRelativePath(trackID: trackID, frameIndex: frame)
    if path != expected {
      checker.report(
        location, field: "crop_path", value: JSONValue.quoted(path),
        "must be \"\(expected)\" (or empty when crops are not saved)")
    }
  }

  /// Records the first width seen (or the expected one) and reports any other.
  mutating func checkWidth(_ width: Int, at location: Location, field: String, value: String) {
    guard let known = embeddingWidth else {
      let line = location.line.map { " line \($0)" } ?? ""
      embeddingWidth = (width, "\(location.artifact)\(line)")
      return
    }
    if width != known.width {
      checker.report(
        location, field: field, value: value,
        "embedding width must be \(known.width) (as in \(known.source))")
    }
  }

  mutating func compare(
    _ embedding: [Double], withRow row: Int, of npy: NPYMatrix, npyName: String, jsonlName: String
  ) {
    guard row >= 0, row < npy.rows, npy.columns == embedding.count else { return }
    var largest = 0.0
    for (stored, written) in zip(npy.row(row), embedding) {
      let difference = abs(Double(stored) - written)
      if !(difference <= largest) { largest = difference }
    }
    if !(largest <= ArtifactValidator.embeddingTolerance) {
      checker.report(
        Location(artifact: npyName, line: row + 1), field: "",
        "differs from the embedding on line \(row + 1) of \(jsonlName) (largest difference "
          + String(format: "%.3g", largest) + ", tolerance 1e-6)")
    }
  }

  mutating func loadNPY(_ url: URL) -> NPYMatrix? {
    let artifact = name(url)
    do {
      let matrix = try NPYMatrix.read(from: source(url), displayPath: artifact)
      checked[artifact] = matrix.rows
      for (index, value) in matrix.values.enumerated() where !value.isFinite {
        checker.report(
          Location(artifact: artifact, line: index / max(1, matrix.columns) + 1),
          field: "[\(index % max(1, matrix.columns))]", value: "\(value)", "must be finite")
      }
      return matrix
    } catch {
      checked[artifact] = 0
      checker.report(Location(artifact: artifact), field: "", Self.reason(error, artifact))
      return nil
    }
  }

  mutating func validateTrackEmbeddings(_ url: URL) {
    guard exists(url) else {
      absent.append(name(url))
      return
    }
    guard let matrix = loadNPY(url), matrix.rows > 0 else { return }
    checkWidth(
      matrix.columns, at: Location(artifact: name(url)), field: "shape[1]",
      value: "\(matrix.columns)")
  }

  // MARK: Shared plumbing

  /// Streams a JSON Lines file: reports unreadable lines, checks each object against `rules`,
  /// then hands its members to `body` for cross-row checks.
  mutating func forEachLine(
    _ url: URL, rules: [FieldRule],
    _ body: (inout ValidationRun, [String: JSONValue], Location) -> Void
  ) {
    let artifact = name(url)
    var count = 0
    do {
      let reader = try LineReader(url: source(url), displayPath: artifact)
      while let line = try reader.next() {
        count = line.number
        let location = Location(artifact: artifact, line: line.number)
        guard let value = parse(line, at: location) else { continue }
        guard let members = checker.checkObject(value, rules: rules, at: location) else {
          continue
        }
        body(&self, members, location)
      }
    } catch {
      checker.report(Location(artifact: artifact), field: "", Self.reason(error, artifact))
    }
    checked[artifact] = count
  }

  /// Parses one line, reporting an empty or malformed line.
  mutating func parse(_ line: LineReader.Line, at location: Location) -> JSONValue? {
    if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
      checker.report(location, field: "", "empty line (every line must hold one JSON object)")
      return nil
    }
    do {
      return try JSONValue.parse(line.bytes)
    } catch let error as JSONSyntaxError {
      let prefix = !line.terminated && error.truncated ? "truncated last line" : "not valid JSON"
      checker.report(
        location, field: JSONPathComponent.render(error.path), "\(prefix): \(error.message)")
    } catch {
      checker.report(location, field: "", "not valid JSON: \(error)")
    }
    return nil
  }

  /// Reads and parses a JSON document; `nil` (with the violation reported) when it cannot be
  /// read, and `nil` (listed as absent) when it does not exist.
  mutating func readDocument(_ url: URL) -> JSONValue? {
    let artifact = name(url)
    guard exists(url) else {
      absent.append(artifact)
      return nil
    }
    checked[artifact] = 1
    do {
      return try JSONValue.parse(FileIO.readAll(source(url), displayPath: artifact))
    } catch let error as JSONSyntaxError {
      checker.report(
        Location(artifact: artifact), field: JSONPathComponent.render(error.path),
        "not valid JSON: \(error.reason) (byte \(error.offset + 1))")
    } catch {
      checker.report(Location(artifact: artifact), field: "", Self.reason(error, artifact))
    }
    return nil
  }

  func exists(_ url: URL) -> Bool {
    FileManager.default.fileExists(atPath: source(url).path)
  }

  /// Where `url` is read: through the commit journal when one exists (docs/artifacts.md,
  /// "Commits"), so a commit under way or interrupted shows as its whole new set.
  func source(_ url: URL) -> URL {
    committed.resolve(url)
  }

  func name(_ url: URL) -> String {
    layout.relativePath(url)
  }

  /// An error's message without the file name that the violation already shows.
  static func reason(_ error: any Error, _ artifact: String) -> String {
    reason("\(error)", artifact)
  }

  /// `text` without the file name that the violation already shows.
  static func reason(_ text: String, _ artifact: String) -> String {
    let prefix = "\(artifact): "
    return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
  }
}

extension Location {
  fileprivate init(artifact: String) {
    self.init(artifact: artifact, line: nil)
  }
}
