import Foundation

/// A setting's value as resolved, for showing what a run will use (`--show-options`, the
/// server's `dry_run`).
public enum SettingValue: Equatable, Sendable {
  /// A whole number.
  case integer(Int)
  /// A real number.
  case number(Double)
  /// true or false.
  case bool(Bool)
  /// Text, or a choice's name.
  case string(String)
  /// Not set (the value is derived elsewhere, e.g. from the model manifest).
  case null
}

/// One key of a stage's config file: its name, how a file's value is read into the stage's
/// settings, and how the resolved value is shown. A stage lists its keys once, in a table of
/// these (docs/configuration.md).
public struct ConfigSetting<Config> {
  /// The key, as written in config files, request bodies and `--show-options`.
  public let key: String
  private let read: (ConfigFile, inout Config) throws -> Void
  private let show: (Config) -> SettingValue

  private init(
    _ key: String, read: @escaping (ConfigFile, inout Config) throws -> Void,
    show: @escaping (Config) -> SettingValue
  ) {
    self.key = key
    self.read = read
    self.show = show
  }

  /// Reads the key from `file` into `config` when the file has it.
  func apply(_ file: ConfigFile, to config: inout Config) throws { try read(file, &config) }

  /// The value `config` holds for the key.
  public func value(in config: Config) -> SettingValue { show(config) }

  /// A key whose value `read` takes from a file and `show` presents.
  private static func key<Value>(
    _ key: String, _ path: WritableKeyPath<Config, Value>,
    read: @escaping (ConfigFile) throws -> Value?, show: @escaping (Value) -> SettingValue
  ) -> Self {
    Self(
      key, read: { file, config in try read(file).map { config[keyPath: path] = $0 } },
      show: { show($0[keyPath: path]) })
  }

  /// An integer key checked against `range`.
  public static func int(
    _ key: String, _ range: ClosedRange<Int>, _ path: WritableKeyPath<Config, Int>
  ) -> Self {
    Self.key(key, path, read: { try $0.int(key, in: range) }, show: { .integer($0) })
  }

  /// A number key checked against `range`.
  public static func double(
    _ key: String, _ range: ClosedRange<Double>, _ path: WritableKeyPath<Config, Double>
  ) -> Self {
    Self.key(key, path, read: { try $0.double(key, in: range) }, show: { .number($0) })
  }

  /// A number key checked against `range` whose unset value is derived elsewhere.
  public static func optionalDouble(
    _ key: String, _ range: ClosedRange<Double>, _ path: WritableKeyPath<Config, Double?>
  ) -> Self {
    Self.key(
      key, path, read: { try $0.double(key, in: range) }, show: { $0.map { .number($0) } ?? .null })
  }

  /// A boolean key.
  public static func bool(_ key: String, _ path: WritableKeyPath<Config, Bool>) -> Self {
    Self.key(key, path, read: { try $0.bool(key) }, show: { .bool($0) })
  }

  /// A text key.
  public static func string(_ key: String, _ path: WritableKeyPath<Config, String>) -> Self {
    Self.key(key, path, read: { try $0.string(key) }, show: { .string($0) })
  }

  /// A key whose value is one of a fixed set of names.
  public static func choice<Value: RawRepresentable & CaseIterable>(
    _ key: String, _ path: WritableKeyPath<Config, Value>
  ) -> Self where Value.RawValue == String {
    Self.key(
      key, path, read: { try $0.choice(key, as: Value.self) }, show: { .string($0.rawValue) })
  }
}

/// The settings of one pipeline stage, read from config files through one table of keys
/// (docs/configuration.md). A file (or flag set, or request body) is a layer over the settings
/// before it.
public protocol StageSettings {
  /// The built-in defaults.
  init()
  /// Every key of the stage, once.
  static var settings: [ConfigSetting<Self>] { get }
  /// The stage's default config file name under `config/pipeline`.
  static var defaultFileName: String { get }
  /// Adjusts settings the layer `file` did not name to the ones it did (a rule such as
  /// "`det_thresh` given alone moves the tracker's bands with it"). Default: nothing.
  mutating func reconcile(with file: ConfigFile)
  /// Rejects settings that contradict each other, naming `file`'s line of the key at fault.
  func check(in file: ConfigFile) throws
}

extension StageSettings {
  /// The stage's keys.
  public static var keys: Set<String> { Set(settings.map(\.key)) }

  /// The default config file path, relative to the working directory.
  public static var defaultPath: String { "config/pipeline/" + defaultFileName }

  /// `base` (the defaults unless given) overridden by the keys present in `file`; an unknown
  /// key, a value out of range or a contradiction is an error naming the file and line.
  public static func load(_ file: ConfigFile, over base: Self = Self()) throws -> Self {
    try file.rejectUnknownKeys(keys)
    var config = base
    for setting in settings { try setting.apply(file, to: &config) }
    config.reconcile(with: file)
    try config.check(in: file)
    return config
  }

  /// Every key with the value these settings hold, in key order.
  public var values: [(key: String, value: SettingValue)] {
    Self.settings.map { ($0.key, $0.value(in: self)) }.sorted { $0.key < $1.key }
  }

  public mutating func reconcile(with file: ConfigFile) {}

  public func check(in file: ConfigFile) throws {}
}
