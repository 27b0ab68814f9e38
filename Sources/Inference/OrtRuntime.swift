import COnnxRuntime
public import Foundation

/// An error raised by ONNX Runtime or by FaceHarvest's use of it.
public enum InferenceError: Error, CustomStringConvertible, LocalizedError {
  /// ONNX Runtime returned a status; `operation` names the C API call.
  case runtime(operation: String, message: String)
  /// The model file is missing or unreadable.
  case modelNotFound(path: String)
  /// The model file's SHA-256 is not the one its manifest pins.
  case checksumMismatch(path: String, expected: String, actual: String)
  /// The model's inputs or outputs are not what the caller needs.
  case unexpectedModelLayout(path: String, reason: String)
  /// The input tensor does not match its declared shape.
  case invalidInput(reason: String)
  /// The requested execution provider is not in the loaded ONNX Runtime library.
  case providerUnavailable(provider: String, available: [String])
  /// The model manifest is missing, malformed or lacks an entry.
  case manifest(path: String, reason: String)

  public var description: String {
    switch self {
    case .runtime(let operation, let message):
      return "ONNX Runtime \(operation) failed: \(message)"
    case .modelNotFound(let path):
      return "model file not found: \(path) (run `make setup`)"
    case .checksumMismatch(let path, let expected, let actual):
      return "model \(path): sha256 \(actual) does not match the manifest's \(expected)"
    case .unexpectedModelLayout(let path, let reason):
      return "model \(path): \(reason)"
    case .invalidInput(let reason):
      return "invalid model input: \(reason)"
    case .providerUnavailable(let provider, let available):
      return
        "execution provider \(provider) is not available in the loaded ONNX Runtime "
        + "(available: \(available.joined(separator: ", ")))"
    case .manifest(let path, let reason):
      return "model manifest \(path): \(reason)"
    }
  }

  public var errorDescription: String? { description }
}

/// The ONNX Runtime C API table, checked once.
enum OrtAPI {
  /// The function table for the headers' API version; the library may be newer.
  static let table: OrtApi = {
    guard let api = connxruntime_api() else {
      // The library is older than the headers: nothing in this module can work.
      preconditionFailure(
        "ONNX Runtime \(libraryVersion) does not provide "
          + "C API version \(connxruntime_api_version())")
    }
    return api.pointee
  }()

  /// Turns an `OrtStatus*` into a thrown `InferenceError`, releasing the status.
  static func check(_ status: OpaquePointer?, _ operation: String) throws {
    guard let status else { return }
    let message = table.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
    table.ReleaseStatus(status)
    throw InferenceError.runtime(operation: operation, message: message)
  }

  /// The version string of the loaded library (for example "1.31.1").
  static var libraryVersion: String {
    connxruntime_library_version().map { String(cString: $0) } ?? "unknown"
  }
}

/// The process-wide ONNX Runtime environment (thread-safe in ONNX Runtime, created once).
/// Unchecked because it holds a C pointer, set once and never changed.
public final class OrtEnvironment: @unchecked Sendable {
  let handle: OpaquePointer

  /// The shared environment; ONNX Runtime wants one per process.
  public static let shared: OrtEnvironment = {
    do {
      return try OrtEnvironment()
    } catch {
      preconditionFailure("cannot create the ONNX Runtime environment: \(error)")
    }
  }()

  private init() throws {
    var env: OpaquePointer?
    try OrtAPI.check(
      OrtAPI.table.CreateEnv(ORT_LOGGING_LEVEL_ERROR, "faceharvest", &env), "CreateEnv")
    guard let env else {
      throw InferenceError.runtime(operation: "CreateEnv", message: "returned no environment")
    }
    handle = env
  }

  deinit { OrtAPI.table.ReleaseEnv(handle) }

  /// The execution providers compiled into the loaded library (for example "CPUExecutionProvider").
  public static func availableProviders() throws -> [String] {
    var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    var count: Int32 = 0
    try OrtAPI.check(OrtAPI.table.GetAvailableProviders(&names, &count), "GetAvailableProviders")
    guard let names else { return [] }
    defer { _ = OrtAPI.table.ReleaseAvailableProviders(names, count) }
    return (0..<Int(count)).compactMap { index in names[index].map { String(cString: $0) } }
  }

  /// The loaded library's version string.
  public static var libraryVersion: String { OrtAPI.libraryVersion }
}
