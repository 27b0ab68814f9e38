public import Foundation

/// What a model is for.
public enum ModelRole: String, Codable, Sendable {
  /// A face detector (boxes and five landmarks).
  case detector
  /// A face recognizer that maps an aligned crop to an embedding.
  case embedder
}

/// The order of colour channels a model expects in its input tensor.
public enum ColourOrder: String, Codable, Sendable {
  /// Red, green, blue.
  case rgb = "RGB"
  /// Blue, green, red.
  case bgr = "BGR"
}

/// One model of the manifest: its file and how to feed it.
public struct ModelEntry: Codable, Sendable, Equatable {
  /// Short name (for example "sface").
  public var name: String
  /// Detector or embedder.
  public var role: ModelRole
  /// Architecture family that selects pre- and post-processing ("yunet", "scrfd", "sface",
  /// "arcface").
  public var family: String
  /// File name relative to the manifest's folder, or an absolute path.
  public var file: String
  /// Hex SHA-256 of the file, checked on every load.
  public var sha256: String
  /// Input width in pixels.
  public var inputWidth: Int
  /// Input height in pixels.
  public var inputHeight: Int
  /// Channel order of the input tensor.
  public var colourOrder: ColourOrder
  /// Per-channel mean subtracted from 0–255 pixel values (in the model's channel order).
  public var mean: [Float]
  /// Per-channel divisor applied after the mean.
  public var std: [Float]
  /// Embedding width, for embedders.
  public var outputWidth: Int?
  /// Default cosine-similarity threshold for "same identity", for embedders.
  public var identityThreshold: Float?
  /// Licence of the weights.
  public var licence: String?
  /// Where the file came from.
  public var source: String?

  enum CodingKeys: String, CodingKey {
    case name, role, family, file, sha256, mean, std, licence, source
    case inputWidth = "input_width"
    case inputHeight = "input_height"
    case colourOrder = "colour_order"
    case outputWidth = "output_width"
    case identityThreshold = "identity_threshold"
  }

  /// Creates an entry.
  public init(
    name: String, role: ModelRole, family: String, file: String, sha256: String,
    inputWidth: Int, inputHeight: Int, colourOrder: ColourOrder, mean: [Float], std: [Float],
    outputWidth: Int? = nil, identityThreshold: Float? = nil, licence: String? = nil,
    source: String? = nil
  ) {
    self.name = name
    self.role = role
    self.family = family
    self.file = file
    self.sha256 = sha256
    self.inputWidth = inputWidth
    self.inputHeight = inputHeight
    self.colourOrder = colourOrder
    self.mean = mean
    self.std = std
    self.outputWidth = outputWidth
    self.identityThreshold = identityThreshold
    self.licence = licence
    self.source = source
  }

  /// Problems with the entry's own values (empty when it is usable).
  public func problems() -> [String] {
    var problems: [String] = []
    if inputWidth <= 0 || inputHeight <= 0 {
      problems.append("input_width and input_height must be positive")
    }
    if mean.count != 3 { problems.append("mean must have 3 values") }
    if std.count != 3 || std.contains(where: { $0 == 0 || !$0.isFinite }) {
      problems.append("std must have 3 finite, non-zero values")
    }
    if role == .embedder, (outputWidth ?? 0) <= 0 {
      problems.append("an embedder needs a positive output_width")
    }
    if sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
      problems.append("sha256 must be 64 hex digits")
    }
    return problems
  }
}

/// The model manifest (`.deps/models/manifest.json`, or a user's own): which models exist and
/// how to feed them. Model files are verified against their SHA-256 on every load (by
/// `Inference`, which reads them).
public struct ModelManifest: Sendable {
  /// The entries, in file order.
  public let models: [ModelEntry]
  /// The manifest file.
  public let url: URL

  private struct Document: Codable {
    var schemaVersion: String
    var models: [ModelEntry]
    enum CodingKeys: String, CodingKey {
      case schemaVersion = "schema_version"
      case models
    }
  }

  /// The manifest `make setup` writes: `$FACEHARVEST_MODELS`, else `$FACEHARVEST_DEPS/models`,
  /// else `./.deps/models`, each with `manifest.json`.
  public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> URL
  {
    if let models = environment["FACEHARVEST_MODELS"], !models.isEmpty {
      return URL(fileURLWithPath: models).appendingPathComponent("manifest.json")
    }
    let deps = environment["FACEHARVEST_DEPS"].flatMap { $0.isEmpty ? nil : $0 } ?? ".deps"
    return URL(fileURLWithPath: deps).appendingPathComponent("models/manifest.json")
  }

  /// Loads and checks a manifest file.
  public static func load(from url: URL) throws -> ModelManifest {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw ModelManifestError(path: url.path, reason: "cannot read it (run `make setup`)")
    }
    let document: Document
    do {
      document = try JSONDecoder().decode(Document.self, from: data)
    } catch let DecodingError.keyNotFound(key, context) {
      throw ModelManifestError(
        path: url.path, reason: "missing field '\(fieldPath(context.codingPath + [key]))'")
    } catch let DecodingError.typeMismatch(_, context) {
      throw ModelManifestError(
        path: url.path,
        reason: "field '\(fieldPath(context.codingPath))': \(context.debugDescription)")
    } catch let DecodingError.dataCorrupted(context) {
      throw ModelManifestError(
        path: url.path,
        reason: "field '\(fieldPath(context.codingPath))': \(context.debugDescription)")
    } catch {
      throw ModelManifestError(path: url.path, reason: "\(error)")
    }
    guard document.schemaVersion == "model_manifest_v1" else {
      throw ModelManifestError(
        path: url.path,
        reason: "schema_version '\(document.schemaVersion)' is not model_manifest_v1")
    }
    var seen = Set<String>()
    for (index, entry) in document.models.enumerated() {
      guard seen.insert(entry.name).inserted else {
        throw ModelManifestError(
          path: url.path, reason: "models[\(index)]: duplicate name \(entry.name)")
      }
      if let problem = entry.problems().first {
        throw ModelManifestError(
          path: url.path, reason: "models[\(index)] (\(entry.name)): \(problem)")
      }
    }
    return ModelManifest(models: document.models, url: url)
  }

  private static func fieldPath(_ path: [any CodingKey]) -> String {
    path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
      .trimmingCharacters(in: CharacterSet(charactersIn: "."))
  }

  /// The entry called `name`.
  public func entry(named name: String) throws -> ModelEntry {
    guard let entry = models.first(where: { $0.name == name }) else {
      throw ModelManifestError(
        path: url.path,
        reason: "no model named '\(name)' (have: \(models.map(\.name).joined(separator: ", ")))")
    }
    return entry
  }

  /// The first entry with `role`.
  public func first(role: ModelRole) throws -> ModelEntry {
    guard let entry = models.first(where: { $0.role == role }) else {
      throw ModelManifestError(path: url.path, reason: "no \(role.rawValue) model")
    }
    return entry
  }

  /// The file of `entry`: absolute paths as they are, others relative to the manifest's folder.
  public func fileURL(for entry: ModelEntry) -> URL {
    if entry.file.hasPrefix("/") { return URL(fileURLWithPath: entry.file) }
    return url.deletingLastPathComponent().appendingPathComponent(entry.file)
  }
}

/// The model manifest is missing, malformed or lacks an entry.
public struct ModelManifestError: Error, CustomStringConvertible, LocalizedError, Equatable {
  /// The manifest file.
  public let path: String
  /// What is wrong.
  public let reason: String

  /// An error about the manifest at `path`.
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "model manifest \(path): \(reason)" }
  public var errorDescription: String? { description }
}
