import Foundation
import PostgresNIO

/// Where the queue's PostgreSQL database is: `postgres://user[:password]@host[:port]/database`
/// (`postgresql://` too; `?sslmode=disable|prefer|require`, default `prefer`). Its
/// `description` leaves the password out, so it is safe in logs and errors.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
  /// The environment variable that gives the URL when no option does.
  public static let environmentKey = "FACEHARVEST_DATABASE_URL"

  /// TLS, as libpq's `sslmode` says it.
  public enum TLSMode: String, Sendable {
    /// Plain TCP.
    case disable
    /// TLS when the server offers it (the default).
    case prefer
    /// TLS or nothing.
    case require
  }

  /// The server's host name or address.
  public let host: String
  /// The server's port.
  public let port: Int
  /// The role to log in as.
  public let username: String
  /// The role's password, if any (never printed).
  public let password: String?
  /// The database.
  public let database: String
  /// TLS.
  public let tls: TLSMode

  /// Parses `text`, or throws `JobQueueError.invalidDatabaseURL` saying what is wrong.
  public init(_ text: String) throws {
    func invalid(_ reason: String) -> JobQueueError {
      .invalidDatabaseURL(Self.redacting(text), reason: reason)
    }
    guard let components = URLComponents(string: text),
      let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
    else { throw invalid("expected postgres://user@host:port/database") }
    guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
    guard let user = components.user, !user.isEmpty else { throw invalid("no user") }
    let database = String(components.path.drop { $0 == "/" })
    guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name") }
    let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
    guard let tls = TLSMode(rawValue: mode) else {
      throw invalid("sslmode is disable, prefer or require")
    }
    self.host = host
    self.port = components.port ?? 5432
    self.username = user.removingPercentEncoding ?? user
    self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
    self.database = database.removingPercentEncoding ?? database
    self.tls = tls
  }

  /// The URL from `explicit` (an option), else from `$FACEHARVEST_DATABASE_URL`; nil when
  /// neither gives one.
  public static func resolve(explicit: String?, environment: [String: String]) throws
    -> DatabaseURL?
  {
    if let explicit, !explicit.isEmpty { return try DatabaseURL(explicit) }
    if let text = environment[environmentKey], !text.isEmpty { return try DatabaseURL(text) }
    return nil
  }

  /// The URL without its password.
  public var description: String {
    "postgres://\(username)@\(host):\(port)/\(database)"
  }

  /// `text` with any password replaced by `***`, for a message about a URL that did not parse.
  static func redacting(_ text: String) -> String {
    text.replacingOccurrences(
      of: #"(://[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
  }

  /// The client configuration (TLS as `sslmode` says).
  var clientConfiguration: PostgresClient.Configuration {
    var configuration = PostgresClient.Configuration(
      host: host, port: port, username: username, password: password, database: database,
      tls: tlsSetting)
    configuration.options.connectTimeout = .seconds(10)
    return configuration
  }

  /// One connection's configuration (TLS as `sslmode` says).
  func connectionConfiguration() throws -> PostgresConnection.Configuration {
    var configuration = PostgresConnection.Configuration(
      host: host, port: port, username: username, password: password, database: database,
      tls: try connectionTLS())
    configuration.options.connectTimeout = .seconds(10)
    return configuration
  }

  private var tlsSetting: PostgresClient.Configuration.TLS {
    switch tls {
    case .disable: .disable
    case .prefer: .prefer(.makeClientConfiguration())
    case .require: .require(.makeClientConfiguration())
    }
  }

  private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
    switch tls {
    case .disable: .disable
    case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
    case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
  }
}
