import Artifacts
import HTTPTypes
import Hummingbird
import NIOCore

/// An answer a route gives by throwing: its status and the JSON `{error, detail}` body
/// (docs/openapi.yaml, `Problem`), rendered by `JSONErrorMiddleware`.
struct ProblemError: Error, CustomStringConvertible {
  let status: HTTPResponse.Status
  let error: String
  let detail: String

  init(_ status: HTTPResponse.Status, _ error: String, _ detail: String) {
    self.status = status
    self.error = error
    self.detail = detail
  }

  var description: String { "\(status.code) \(error): \(detail)" }

  /// 400 for a field of the body.
  static func field(_ name: String, _ expected: String) -> ProblemError {
    ProblemError(.badRequest, "invalid body", "\(name): \(expected)")
  }
}

/// Reading a request's JSON body, at most `FaceHarvestServer.maximumBodyBytes`.
enum RequestBody {
  /// The body as JSON: 413 beyond the size limit, 400 when it is not JSON; an empty body is
  /// `empty`.
  static func json(_ request: Request, empty: JSONValue? = nil) async throws -> JSONValue {
    var request = request
    let buffer: ByteBuffer
    do {
      buffer = try await request.collectBody(upTo: FaceHarvestServer.maximumBodyBytes)
    } catch {
      throw ProblemError(
        .contentTooLarge, "body too large",
        "at most \(FaceHarvestServer.maximumBodyBytes) bytes are accepted")
    }
    if buffer.readableBytes == 0, let empty { return empty }
    do {
      return try JSONValue.parse(Array(buffer.readableBytesView))
    } catch {
      throw ProblemError(.badRequest, "invalid body", "not JSON: \(error)")
    }
  }

  /// The body's members: 400 unless it is a JSON object.
  static func object(_ request: Request) async throws -> [String: JSONValue] {
    guard let fields = try await json(request).objectValue else {
      throw ProblemError(.badRequest, "invalid body", "the body must be a JSON object")
    }
    return fields
  }

  /// A required string member: 400 naming `name` when it is absent or not a non-empty string.
  static func string(_ fields: [String: JSONValue], _ name: String) throws -> String {
    guard let value = fields[name]?.stringValue, !value.isEmpty else {
      throw ProblemError.field(name, "a non-empty string is required")
    }
    return value
  }

  /// An optional boolean member (false when absent): 400 naming `name` when it is not one.
  static func flag(_ fields: [String: JSONValue], _ name: String) throws -> Bool {
    switch fields[name] {
    case nil, .null?: return false
    case .bool(let value)?: return value
    default: throw ProblemError.field(name, "a boolean is expected")
    }
  }
}
