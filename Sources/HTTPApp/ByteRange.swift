import Foundation

/// What a request's `Range` header asks of a file of `size` bytes (RFC 9110 §14.2,
/// docs/review_app.md, "Video"): the whole file, one range of it, or nothing it can have.
enum ByteRangeRequest: Equatable {
  /// No `Range` header, or one in a unit other than bytes: the whole file, 200.
  case whole
  /// One satisfiable range, clipped to the file: 206 with `Content-Range`.
  case range(ClosedRange<Int>)
  /// A bytes range the file cannot satisfy or that does not parse, or several ranges: 416 with
  /// `Content-Range: bytes */size` (a silent 200 would send a whole video the client did not
  /// ask for).
  case unsatisfiable

  /// The request of `header` for a file of `size` bytes.
  init(header: String?, size: Int) {
    guard let header else {
      self = .whole
      return
    }
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes=") else {
      self = .whole
      return
    }
    let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
    guard !spec.contains(","), let dash = spec.firstIndex(of: "-"), size > 0 else {
      self = .unsatisfiable
      return
    }
    let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
    let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
    self = Self.resolve(first: first, last: last, size: size)
  }

  private static func resolve(first: String, last: String, size: Int) -> ByteRangeRequest {
    let digits = { (text: String) in
      !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber } && Int(text) != nil
    }
    switch (digits(first), digits(last)) {
    case (true, true):
      let (from, to) = (Int(first)!, Int(last)!)
      guard from <= to, from < size else { return .unsatisfiable }
      return .range(from...min(to, size - 1))
    case (true, false) where last.isEmpty:
      let from = Int(first)!
      return from < size ? .range(from...(size - 1)) : .unsatisfiable
    case (false, true) where first.isEmpty:
      let suffix = Int(last)!
      return suffix > 0 ? .range(max(0, size - suffix)...(size - 1)) : .unsatisfiable
    default:
      return .unsatisfiable
    }
  }
}
