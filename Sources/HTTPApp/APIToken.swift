import Foundation

/// The server's API token (docs/review_app.md, "Security"): from `--api-token-file` (the file's
/// text, surrounding whitespace trimmed), else from `$FACEHARVEST_API_TOKEN`; none when neither
/// is given. A given but empty token is an error, never "no token".
public enum APIToken {
  /// The environment variable that holds the token.
  public static let environmentKey = "FACEHARVEST_API_TOKEN"

  /// Why no token could be read.
  public enum Failure: Error, CustomStringConvertible {
    /// The token file cannot be read.
    case unreadable(path: String, reason: String)
    /// The file or variable holds only whitespace.
    case empty(source: String)

    public var description: String {
      switch self {
      case .unreadable(let path, let reason):
        return "cannot read the API token file \(path): \(reason)"
      case .empty(let source): return "the API token in \(source) is empty"
      }
    }
  }

  /// The token from `file` or the environment, or nil.
  public static func resolve(file: String?, environment: [String: String]) throws(Failure)
    -> String?
  {
    if let file {
      let text: String
      do {
        text = try String(contentsOfFile: file, encoding: .utf8)
      } catch {
        throw .unreadable(path: file, reason: error.localizedDescription)
      }
      return try nonEmpty(text, source: file)
    }
    guard let value = environment[environmentKey] else { return nil }
    return try nonEmpty(value, source: "$\(environmentKey)")
  }

  private static func nonEmpty(_ text: String, source: String) throws(Failure) -> String {
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw .empty(source: source) }
    return token
  }
}
