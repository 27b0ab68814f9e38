public import Artifacts
import FaceHarvestCore
import Foundation
import PipelineConfig

/// Resolved options as JSON, `{"detect_track": {"det_thresh": 0.5, …}, …}`: what
/// `episode-run --show-options` prints and the server's `dry_run` answers, so that both can be
/// compared (docs/configuration.md).
public enum OptionsJSON {
  /// The options as a JSON value.
  public static func value(_ options: ResolvedOptions) -> JSONValue {
    .object(
      Dictionary(
        uniqueKeysWithValues: options.values.map { stage, values in
          (
            stage.rawValue,
            JSONValue.object(
              Dictionary(uniqueKeysWithValues: values.map { ($0.key, json($0.value)) }))
          )
        }))
  }

  /// The options as pretty-printed JSON text with sorted keys.
  public static func text(_ options: ResolvedOptions) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value(options)), as: UTF8.self)
  }

  private static func json(_ value: SettingValue) -> JSONValue {
    switch value {
    case .integer(let value): .integer(value)
    case .number(let value): .number(value)
    case .bool(let value): .bool(value)
    case .string(let value): .string(value)
    case .null: .null
    }
  }
}
