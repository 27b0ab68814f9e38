import BuiltExecutableSupport
import Foundation
import ThreadPrimitives

#if canImport(Glibc)
  import Glibc
#endif

/// A private PostgreSQL server for the tests (docs/job_queue.md, "Tests"): started once per
/// test process on a free loopback port, in a temporary folder (`initdb`, `pg_ctl`; no system
/// service), with trust authentication on 127.0.0.1 only and its socket inside the folder.
/// Each test takes a database of its own. The server stops, and its folder goes, when the
/// process exits (or, should the process die, within a second: a watchdog). As root, the
/// server runs as the `postgres` user, since PostgreSQL refuses to run as root.
///
/// When PostgreSQL is not installed, `database()` throws a `TestPostgres.Unavailable` that
/// says so: the tests that need it fail, never skip.
public enum TestPostgres {
  /// Why the server could not be had.
  public struct Unavailable: Error, CustomStringConvertible {
    /// What went wrong and what to do.
    public let description: String
  }

  private static let shared: Result<Server, Unavailable> = {
    do {
      let server = try Server.start()
      running.withLock { $0 = server }
      atexit { TestPostgres.stopRunning() }
      return .success(server)
    } catch let error as Unavailable {
      return .failure(error)
    } catch {
      return .failure(Unavailable(description: "the test PostgreSQL server: \(error)"))
    }
  }()

  private static let running = LockedServer()

  /// A new, empty database on the shared server: its URL,
  /// `postgres://faceharvest@127.0.0.1:PORT/NAME`. The first call starts the server. The
  /// programs run on a thread of their own: a test waiting for them holds none of the
  /// cooperative pool's few threads, which the other tests' queues and workers need.
  public static func database() async throws -> String {
    try await runOnOwnThread {
      let server = try shared.get()
      let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
      try server.createDatabase(name)
      return server.url(database: name)
    }
  }

  /// A server of the caller's own, for a test that stops or restarts it (the shared server
  /// serves every other test meanwhile). It stops, and its folder goes, when the last
  /// reference to it does (or when the process exits).
  public static func ownServer() async throws -> TestPostgresServer {
    try await runOnOwnThread { TestPostgresServer(try Server.start()) }
  }

  /// A URL on which nothing listens (a closed loopback port), for the "unreachable" tests.
  public static func unreachableURL() throws -> String {
    "postgres://faceharvest@127.0.0.1:\(try Server.freePort())/nothing"
  }

  static func stopRunning() {
    running.withLock { server in
      server?.stop()
      server = nil
    }
  }
}

/// A PostgreSQL server of one test's own (`TestPostgres.ownServer()`), which it may stop,
/// start and restart: always on the same port with the same data folder, so URLs handed out
/// before stay valid. Each program runs on a thread of its own (see `TestPostgres.database`).
public final class TestPostgresServer: Sendable {
  private let server: Server

  init(_ server: Server) { self.server = server }

  deinit { server.stop() }

  /// A new, empty database: its URL.
  public func database() async throws -> String {
    let server = self.server
    return try await runOnOwnThread {
      let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
      try server.createDatabase(name)
      return server.url(database: name)
    }
  }

  /// `pg_ctl restart -m fast`: every session is ended, the server is back when this returns.
  public func restart() async throws {
    let server = self.server
    try await runOnOwnThread { try server.control("restart") }
  }

  /// `pg_ctl stop -m fast`: every session is ended; the data stays.
  public func stop() async throws {
    let server = self.server
    try await runOnOwnThread { try server.control("stop") }
  }

  /// `pg_ctl start` after `stop()`: the same port, the same data.
  public func start() async throws {
    let server = self.server
    try await runOnOwnThread { try server.control("start") }
  }
}

/// The server started, for the exit handler.
final class LockedServer: @unchecked Sendable {
  // Unchecked: `server` is used only while `lock` is held.
  private let lock = NSLock()
  private var server: Server?

  func withLock<T>(_ body: (inout Server?) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(&server)
  }
}

/// One PostgreSQL cluster in a temporary folder.
final class Server: Sendable {
  static let user = "faceharvest"
  let folder: URL
  let binaries: URL
  let port: Int
  /// `runuser -u postgres --` when running as root, else nothing.
  let prefix: [String]

  private init(folder: URL, binaries: URL, port: Int, prefix: [String]) {
    self.folder = folder
    self.binaries = binaries
    self.port = port
    self.prefix = prefix
  }

  var data: URL { folder.appendingPathComponent("data") }
  var socketFolder: URL { folder.appendingPathComponent("socket") }

  func url(database: String) -> String {
    "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
  }

  static func start() throws -> Server {
    let binaries = try findBinaries()
    // As root, the server runs as postgres, which must reach the folder: /tmp, whatever
    // $TMPDIR says.
    let temporary =
      getuid() == 0
      ? URL(fileURLWithPath: "/tmp", isDirectory: true) : FileManager.default.temporaryDirectory
    let folder = temporary.appendingPathComponent("faceharvest-pg-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("socket"), withIntermediateDirectories: true)
    var prefix: [String] = []
    if getuid() == 0 {
      guard let account = getpwnam("postgres") else {
        throw TestPostgres.Unavailable(
          description: "running as root, but there is no postgres user to run PostgreSQL as "
            + "(install Debian's postgresql package: make setup does)")
      }
      for path in [folder, folder.appendingPathComponent("socket")] {
        chown(path.path, account.pointee.pw_uid, account.pointee.pw_gid)
      }
      prefix = ["/usr/sbin/runuser", "-u", "postgres", "--"]
    }
    var errors: [String] = []
    // A port taken between choosing and binding it: another one.
    for _ in 0..<3 {
      let server = Server(
        folder: folder, binaries: binaries, port: try freePort(), prefix: prefix)
      do {
        try server.initialize()
        try server.run()
        server.watch()
        return server
      } catch {
        errors.append("\(error)")
      }
    }
    try? FileManager.default.removeItem(at: folder)
    throw TestPostgres.Unavailable(
      description: "the test PostgreSQL server did not start: "
        + errors.joined(separator: "; then: "))
  }

  /// `initdb`, once, and the trust rules: the socket and 127.0.0.1 only.
  private func initialize() throws {
    guard !FileManager.default.fileExists(atPath: data.path) else { return }
    try execute(
      "initdb",
      ["-D", data.path, "-U", Self.user, "--auth=trust", "--encoding=UTF8", "--no-instructions"])
    // Replaces initdb's rules (which trust ::1 too): the file keeps its owner and mode.
    let rules = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    let handle = try FileHandle(forWritingTo: data.appendingPathComponent("pg_hba.conf"))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(rules.utf8))
    try handle.close()
  }

  private func run() throws { try control("start") }

  /// `pg_ctl action` (`start`, `stop`, `restart`; stopping in fast mode), waiting for it to
  /// finish; the server's settings (port, socket folder) are given again each time.
  func control(_ action: String) throws {
    let settings = [
      "-p \(port)", "-k \(socketFolder.path)", "-c listen_addresses=127.0.0.1",
      "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
      "-c max_connections=200",
    ].joined(separator: " ")
    try execute(
      "pg_ctl",
      [
        "-D", data.path, "-l", folder.appendingPathComponent("server.log").path, "-o", settings,
        "-m", "fast", "-w", "-t", "60", action,
      ])
  }

  /// Stops the server when this process is gone, however it ended.
  private func watch() {
    let stop = (prefix + [binaries.appendingPathComponent("pg_ctl").path])
      .map { "'\($0)'" }.joined(separator: " ")
    let script = """
      while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
      \(stop) -D '\(data.path)' -m immediate stop >/dev/null 2>&1
      rm -rf '\(folder.path)'
      """
    // Not waited for: it outlives this process by design (`&` in a shell that exits).
    _ = try? Self.spawnAndWait(
      ["/bin/sh", "-c", "(\(script)) >/dev/null 2>&1 &"], output: URL(fileURLWithPath: "/dev/null"))
  }

  func createDatabase(_ name: String) throws {
    try execute("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, name])
  }

  func stop() {
    _ = try? execute("pg_ctl", ["-D", data.path, "-m", "fast", "-w", "stop"])
    try? FileManager.default.removeItem(at: folder)
  }

  /// Runs a PostgreSQL program (as `postgres` when root); throws its output when it fails.
  @discardableResult
  private func execute(_ tool: String, _ arguments: [String]) throws -> String {
    let full = prefix + [binaries.appendingPathComponent(tool).path] + arguments
    let output = folder.appendingPathComponent("tool-\(UUID().uuidString).log")
    let status = try Self.spawnAndWait(full, output: output)
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(at: output)
    guard status == 0 else {
      throw TestPostgres.Unavailable(
        description: "\(full.joined(separator: " ")) exited \(status): \(text)")
    }
    return text
  }

  /// Runs `arguments` with standard output and error in `output` and waits with `waitpid`
  /// (Foundation's `Process` can miss the exit of a program that starts a daemon, as
  /// `pg_ctl start` does).
  static func spawnAndWait(_ arguments: [String], output: URL) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of this process goes with it: the server and the watchdog outlive tests.
    SpawnedDescriptors.closeAll(from: 3, in: &actions)
    var argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
    guard spawned == 0 else {
      throw TestPostgres.Unavailable(
        description: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS, which Swift does not import.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  }

  /// `/usr/lib/postgresql/N/bin` (the newest), else `pg_config --bindir`, holding `initdb`
  /// and `pg_ctl`.
  static func findBinaries() throws -> URL {
    let manager = FileManager.default
    var candidates: [URL] = []
    if let explicit = ProcessInfo.processInfo.environment["FACEHARVEST_PG_BINDIR"] {
      candidates.append(URL(fileURLWithPath: explicit))
    }
    let versions = (try? manager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
    for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
      candidates.append(URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin"))
    }
    let complete = { (folder: URL) in
      ["initdb", "pg_ctl", "createdb"].allSatisfy {
        manager.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
      }
    }
    guard
      let found = candidates.first(where: complete)
        ?? pgConfigBindir().map({ URL(fileURLWithPath: $0) }).flatMap({ complete($0) ? $0 : nil })
    else {
      throw TestPostgres.Unavailable(
        description: "PostgreSQL's server programs (initdb, pg_ctl) were not found in "
          + "/usr/lib/postgresql/*/bin nor pg_config --bindir: the job queue tests need a "
          + "private PostgreSQL server. Install Debian's postgresql package (make setup "
          + "does: scripts/setup.sh).")
    }
    return found
  }

  private static func pgConfigBindir() -> String? {
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("pg_config-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: output) }
    guard (try? spawnAndWait(["/bin/sh", "-c", "pg_config --bindir"], output: output)) == 0,
      let text = try? String(contentsOf: output, encoding: .utf8)
    else { return nil }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A loopback port nothing listens on now (bound to port 0, then closed).
  static func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestPostgres.Unavailable(description: "socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
      }
    }
    guard bound else { throw TestPostgres.Unavailable(description: "no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
