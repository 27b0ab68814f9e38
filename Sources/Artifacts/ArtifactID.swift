/// Deterministic identifiers of tracks, faces and identities: `track-00001`, `face-00042`,
/// `identity-00003` — a prefix, a dash and a number zero-padded to five digits (wider only when
/// the number needs more digits).
public enum ArtifactID {
  /// The digits every identifier has at least.
  public static let minimumDigits = 5

  /// `track-{n:05d}`, e.g. `track(1) == "track-00001"`.
  public static func track(_ number: Int) -> String { make("track", number) }

  /// `face-{n:05d}`, e.g. `face(42) == "face-00042"`.
  public static func face(_ number: Int) -> String { make("face", number) }

  /// `identity-{n:05d}`, e.g. `identity(3) == "identity-00003"`.
  public static func identity(_ number: Int) -> String { make("identity", number) }

  /// Whether `id` matches `^track-\d{5,}$`.
  public static func isValidTrackID(_ id: String) -> Bool { number(in: id, prefix: "track") != nil }

  /// Whether `id` matches `^face-\d{5,}$`.
  public static func isValidFaceID(_ id: String) -> Bool { number(in: id, prefix: "face") != nil }

  /// Whether `id` matches `^identity-\d{5,}$`.
  public static func isValidIdentityID(_ id: String) -> Bool {
    number(in: id, prefix: "identity") != nil
  }

  /// The number of a well-formed `{prefix}-NNNNN` identifier, or `nil` when `id` is not one
  /// (wrong prefix, fewer than five digits, a non-digit, or too many digits for an `Int`).
  public static func number(in id: String, prefix: String) -> Int? {
    let utf8 = id.utf8
    let head = prefix.utf8.count + 1
    guard utf8.count >= head + minimumDigits, id.hasPrefix(prefix + "-") else { return nil }
    let digits = utf8.dropFirst(head)
    guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
      return nil
    }
    return Int(Substring(digits))
  }

  /// Zero-pads a non-negative number to at least five digits; a negative number (never a valid
  /// identifier) is written as is, so the result fails validation instead of hiding the bug.
  static func padded(_ number: Int, width: Int = minimumDigits) -> String {
    guard number >= 0 else { return String(number) }
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }

  private static func make(_ prefix: String, _ number: Int) -> String {
    "\(prefix)-\(padded(number))"
  }
}

/// The `schema_version` values of the versioned JSON Lines artifacts.
public enum SchemaVersion {
  /// `detections.jsonl` rows: `det_v1`.
  public static let detection = "det_v1"
  /// `tracks.jsonl` rows: `track_v1`.
  public static let track = "track_v1"
  /// `shots.jsonl` rows: `shot_v1`.
  public static let shot = "shot_v1"
}
