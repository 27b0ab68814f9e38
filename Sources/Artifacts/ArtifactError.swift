public import Foundation

/// Everything that can go wrong reading, writing or naming an artifact.
///
/// Every case names the file (as a path relative to the data root where the caller knows it),
/// and where it applies the 1-based line and the field, so a message alone is enough to find
/// the problem.
public enum ArtifactError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
  /// An episode id that is unsafe as a path component or breaks the `ep_id` pattern.
  case invalidEpisodeID(String, reason: String)
  /// A show id (docs/people.md) breaks the episode-id rules.
  case invalidShowID(String, reason: String)
  /// A file that should exist does not.
  case fileNotFound(path: String)
  /// An operating-system error while reading or writing `path`.
  case io(path: String, underlying: String)
  /// A JSON Lines row that is not valid JSON or does not match its schema.
  ///
  /// `field` is a dotted/indexed path such as `stats.detections` or `bbox[2]`, or `nil` when
  /// the problem is the line as a whole.
  case malformedLine(file: String, line: Int, field: String?, reason: String)
  /// A single-document JSON file that is not valid JSON or does not match its schema.
  case malformedDocument(file: String, field: String?, reason: String)
  /// A NaN or infinite number that was about to be written; JSON has no such numbers.
  case nonFiniteValue(file: String?, line: Int?, field: String)
  /// A value that the JSON encoder refused for another reason.
  case encodingFailed(file: String?, line: Int?, field: String?, reason: String)
  /// A NumPy `.npy` file that cannot be read or written as a 2-D little-endian float32 matrix.
  case npy(path: String, reason: String)
  /// A matrix whose shape and values disagree.
  case invalidMatrix(reason: String)
  /// A write to a JSON Lines writer after `commit()` or `abort()`.
  case writerClosed(path: String)
  /// Another writer holds the episode's lock (`EpisodeLock`).
  case episodeLocked(episode: String, holder: String, lockFile: String)
  /// A commit journal that cannot be read or followed (docs/artifacts.md, "Commits"): the
  /// interrupted commit can be neither finished nor rolled back without a person looking.
  case damagedJournal(path: String, reason: String)
  /// An `ArtifactTransaction` used wrongly (a destination outside the episode, staged twice, or
  /// a transaction already committed).
  case transaction(episode: String, reason: String)
  /// A commit whose journal was published but whose step `step` failed: the new artifacts are
  /// what readers see, and the next writer of the episode finishes the commit.
  case commitUnfinished(episode: String, step: String, reason: String)

  /// A one-line message naming the file, line and field involved.
  public var description: String {
    switch self {
    case .invalidEpisodeID(let raw, let reason):
      return "invalid ep_id '\(raw)': \(reason)"
    case .invalidShowID(let raw, let reason):
      return "invalid show id '\(raw)': \(reason)"
    case .fileNotFound(let path):
      return "\(path): no such file"
    case .io(let path, let underlying):
      return "\(path): \(underlying)"
    case .malformedLine(let file, let line, let field, let reason):
      return "\(file):\(line): " + Self.fieldPrefix(field) + reason
    case .malformedDocument(let file, let field, let reason):
      return "\(file): " + Self.fieldPrefix(field) + reason
    case .nonFiniteValue(let file, let line, let field):
      return Self.location(file, line) + "field '\(field)': "
        + "non-finite number (NaN or infinity) cannot be written as JSON"
    case .encodingFailed(let file, let line, let field, let reason):
      return Self.location(file, line) + Self.fieldPrefix(field) + reason
    case .npy(let path, let reason):
      return "\(path): \(reason)"
    case .invalidMatrix(let reason):
      return "invalid matrix: \(reason)"
    case .writerClosed(let path):
      return "\(path): the writer was already committed or aborted"
    case .episodeLocked(let episode, let holder, let lockFile):
      return "episode \(episode) is being written by \(holder); one writer at a time, try again "
        + "when it has finished (\(lockFile))"
    case .damagedJournal(let path, let reason):
      return "\(path): the journal of an interrupted commit cannot be followed (\(reason)); the "
        + "files are as the killed writer left them: check them, then delete the journal to roll "
        + "the commit back"
    case .transaction(let episode, let reason):
      return "commit of \(episode): \(reason)"
    case .commitUnfinished(let episode, let step, let reason):
      return "commit of \(episode) stopped at \(step): \(reason); the new artifacts are "
        + "committed (readers see them) and the next writer of the episode finishes the commit"
    }
  }

  /// The same text as `description`, for `localizedDescription`.
  public var errorDescription: String? { description }

  private static func fieldPrefix(_ field: String?) -> String {
    guard let field, !field.isEmpty else { return "" }
    return "field '\(field)': "
  }

  private static func location(_ file: String?, _ line: Int?) -> String {
    guard let file else { return "" }
    if let line { return "\(file):\(line): " }
    return "\(file): "
  }
}

extension ArtifactError {
  /// Wraps an arbitrary error thrown while touching `path`, keeping artifact errors as they are.
  static func wrap(_ error: any Error, path: String) -> ArtifactError {
    if let artifactError = error as? ArtifactError { return artifactError }
    if let cocoa = error as? CocoaError,
      cocoa.code == .fileReadNoSuchFile || cocoa.code == .fileNoSuchFile
    {
      return .fileNotFound(path: path)
    }
    return .io(path: path, underlying: FileSystemFailure.reason(error))
  }
}
