import BuiltExecutableSupport
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// the browser reads commands from its fd 3 and writes answers and events to its fd 4, each one
/// JSON text ended by a NUL byte). One page target is attached; commands go to it.
final class Chromium {
  /// What went wrong with the browser.
  enum Failure: Error, CustomStringConvertible {
    case notFound
    case spawn(Int32)
    case closed(String)
    case timeout(String)
    case protocolError(method: String, message: String)
    case javascript(String)

    var description: String {
      switch self {
      case .notFound:
        return "no chromium on PATH and no $FACEHARVEST_CHROMIUM (make setup installs it)"
      case .spawn(let code): return "cannot start chromium: \(String(cString: strerror(code)))"
      case .closed(let log): return "chromium closed its pipe; its output:\n\(log)"
      case .timeout(let what): return "timed out waiting for \(what)"
      case .protocolError(let method, let message): return "\(method): \(message)"
      case .javascript(let message): return "page script: \(message)"
      }
    }
  }

  private let pid: pid_t
  private let commands: Int32
  private let replies: Int32
  private var pending: [UInt8] = []
  private var nextID = 1
  private var session: String?
  private let scratch: URL
  /// Uncaught exceptions and `console.error` calls of the page, in order.
  private(set) var pageErrors: [String] = []

  /// The browser: `$FACEHARVEST_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
  static func executable() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["FACEHARVEST_CHROMIUM"], !explicit.isEmpty { return explicit }
    let folders = (environment["PATH"] ?? "/usr/bin").split(separator: ":")
    for name in ["chromium", "chromium-browser"] {
      for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)")
      {
        return "\(folder)/\(name)"
      }
    }
    throw Failure.notFound
  }

  /// Starts the browser with a fresh profile and attaches to a new blank page of
  /// `width`×`height` CSS pixels.
  init(width: Int = 1400, height: Int = 900) throws {
    scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-chromium-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    let toBrowser = try Self.makePipe()
    let fromBrowser = try Self.makePipe()
    let arguments = [
      try Self.executable(), "--headless", "--no-sandbox", "--disable-gpu",
      "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
      "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
      "--user-data-dir=\(scratch.appendingPathComponent("profile").path)", "about:blank",
    ]
    pid = try Self.spawn(
      arguments, fd3: toBrowser.read, fd4: fromBrowser.write,
      log: scratch.appendingPathComponent("chromium.log").path)
    close(toBrowser.read)
    close(fromBrowser.write)
    commands = toBrowser.write
    replies = fromBrowser.read
    try attach(width: width, height: height)
  }

  deinit { quit() }

  /// Closes the browser and removes its profile.
  func quit() {
    guard commands >= 0, kill(pid, 0) == 0 else { return }
    _ = try? call("Browser.close", browserLevel: true, timeout: 5)
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(5)
    while waitpid(pid, &status, WNOHANG) == 0 {
      if Date() > deadline {
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        break
      }
      _ = poll(nil, 0, 20)
    }
    close(commands)
    close(replies)
    try? FileManager.default.removeItem(at: scratch)
  }

  // MARK: Pages

  /// Opens `url` and waits until its document has loaded and `ready` (JavaScript) is truthy.
  func open(_ url: String, until ready: String, timeout: TimeInterval = 60) throws {
    // The answer comes once the server has sent the page; on 2 cores beside the other suites
    // that can take a while.
    _ = try call("Page.navigate", ["url": url], timeout: timeout)
    try wait(
      for:
        "document.readyState === 'complete' && location.href === \(Self.literal(url)) && (\(ready))",
      what: "\(url) to show \(ready)", timeout: timeout)
  }

  /// Reloads the page and waits for `ready` in the new document.
  func reload(until ready: String, timeout: TimeInterval = 60) throws {
    try evaluate("window.__beforeReload = true")
    _ = try call("Page.reload", ["ignoreCache": true])
    try wait(
      for: "!window.__beforeReload && document.readyState === 'complete' && (\(ready))",
      what: "the reloaded page to show \(ready)", timeout: timeout)
  }

  /// The value of `expression` (a promise is awaited), as JSON gives it back.
  @discardableResult
  func evaluate(_ expression: String, timeout: TimeInterval = 30) throws -> Any? {
    let result = try call(
      "Runtime.evaluate",
      ["expression": expression, "returnByValue": true, "awaitPromise": true], timeout: timeout)
    if let details = result["exceptionDetails"] as? [String: Any] {
      let exception = details["exception"] as? [String: Any]
      throw Failure.javascript(
        exception?["description"] as? String ?? details["text"] as? String ?? "\(details)")
    }
    return (result["result"] as? [String: Any])?["value"]
  }

  /// Waits, inside the page, until `condition` (JavaScript) is truthy, checking every 50 ms;
  /// a navigation under way is waited out.
  func wait(for condition: String, what: String, timeout: TimeInterval) throws {
    let deadline = Date().addingTimeInterval(timeout)
    let script = """
      new Promise((resolve) => {
        const until = performance.now() + \(Int(timeout * 1000));
        const check = () => {
          let value = false;
          try { value = (\(condition)); } catch (error) { value = false; }
          if (value || performance.now() > until) resolve(Boolean(value));
          else setTimeout(check, 50);
        };
        check();
      })
      """
    while Date() < deadline {
      do {
        if try evaluate(script, timeout: deadline.timeIntervalSinceNow + 5) as? Bool == true {
          return
        }
      } catch Failure.protocolError {
        continue  // the document went away under the check (a navigation): check the new one
      } catch Failure.javascript {
        continue
      }
    }
    throw Failure.timeout(what)
  }

  /// Clicks the centre of the element `selector` matches with the mouse, as a person does.
  func click(_ selector: String) throws {
    let box =
      try evaluate(
        """
        (() => { const node = document.querySelector(\(Self.literal(selector)));
          if (!node) return null; node.scrollIntoView({block: 'center'});
          const r = node.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()
        """) as? [Double]
    guard let box, box.count == 2 else { throw Failure.javascript("no element \(selector)") }
    for type in ["mousePressed", "mouseReleased"] {
      _ = try call(
        "Input.dispatchMouseEvent",
        ["type": type, "x": box[0], "y": box[1], "button": "left", "clickCount": 1])
    }
  }

  /// Types `text` into the element `selector` matches, replacing what it holds.
  func type(_ text: String, into selector: String) throws {
    try evaluate(
      "(() => { const node = document.querySelector(\(Self.literal(selector))); node.focus(); node.select(); return true; })()"
    )
    _ = try call("Input.insertText", ["text": text])
  }

  /// Presses one key (`Enter`, or a character) on the focused element.
  func press(_ key: String) throws {
    let isEnter = key == "Enter"
    let text = isEnter ? "\r" : key
    let code = isEnter ? 13 : Int(key.uppercased().unicodeScalars.first?.value ?? 0)
    for type in ["keyDown", "keyUp"] {
      var event: [String: Any] = [
        "type": type, "key": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code,
      ]
      if type == "keyDown" { event["text"] = text }
      _ = try call("Input.dispatchKeyEvent", event)
    }
  }

  /// A PNG of the whole page (not only the window).
  func screenshot() throws -> Data {
    let result = try call(
      "Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], timeout: 60)
    guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
      throw Failure.protocolError(method: "Page.captureScreenshot", message: "no data")
    }
    return data
  }

  /// A JavaScript string literal of `text`.
  static func literal(_ text: String) -> String {
    let data = try? JSONSerialization.data(withJSONObject: [text])
    let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
    return String(array.dropFirst().dropLast())
  }

  // MARK: Protocol

  private func attach(width: Int, height: Int) throws {
    let target = try call("Target.createTarget", ["url": "about:blank"], browserLevel: true)
    let attached = try call(
      "Target.attachToTarget", ["targetId": target["targetId"] ?? "", "flatten": true],
      browserLevel: true)
    session = attached["sessionId"] as? String
    for method in ["Page.enable", "Runtime.enable"] { _ = try call(method) }
    _ = try call(
      "Emulation.setDeviceMetricsOverride",
      ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
  }

  /// Sends `method` and returns its result, keeping the events that arrive meanwhile.
  @discardableResult
  func call(
    _ method: String, _ parameters: [String: Any] = [:], browserLevel: Bool = false,
    timeout: TimeInterval = 30
  ) throws -> [String: Any] {
    let id = nextID
    nextID += 1
    var message: [String: Any] = ["id": id, "method": method, "params": parameters]
    if !browserLevel, let session { message["sessionId"] = session }
    var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
    bytes.append(0)
    try bytes.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(commands, buffer.baseAddress! + offset, buffer.count - offset)
        guard written > 0 else { throw Failure.closed(log()) }
        offset += written
      }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let reply = try nextMessage(before: deadline, waitingFor: method)
      guard reply["id"] as? Int == id else {
        record(reply)
        continue
      }
      if let error = reply["error"] as? [String: Any] {
        throw Failure.protocolError(method: method, message: "\(error["message"] ?? error)")
      }
      return reply["result"] as? [String: Any] ?? [:]
    }
  }

  private func record(_ event: [String: Any]) {
    let parameters = event["params"] as? [String: Any] ?? [:]
    switch event["method"] as? String {
    case "Runtime.exceptionThrown":
      let details = parameters["exceptionDetails"] as? [String: Any] ?? [:]
      let exception = details["exception"] as? [String: Any]
      pageErrors.append(
        exception?["description"] as? String ?? details["text"] as? String ?? "\(details)")
    case "Runtime.consoleAPICalled" where parameters["type"] as? String == "error":
      let arguments = parameters["args"] as? [[String: Any]] ?? []
      pageErrors.append(
        arguments.map { "\($0["value"] ?? $0["description"] ?? "")" }.joined(separator: " "))
    default: break
    }
  }

  private func nextMessage(before deadline: Date, waitingFor method: String) throws
    -> [String: Any]
  {
    while true {
      if let end = pending.firstIndex(of: 0) {
        let message = Array(pending[..<end])
        pending.removeSubrange(...end)
        if let object = try JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] {
          return object
        }
        continue
      }
      let remaining = Int32(max(0, min(deadline.timeIntervalSinceNow * 1000, 600_000)))
      guard remaining > 0 else { throw Failure.timeout("the answer to \(method)") }
      var descriptor = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, remaining) > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      let count = read(replies, &chunk, chunk.count)
      guard count > 0 else { throw Failure.closed(log()) }
      pending.append(contentsOf: chunk[..<count])
    }
  }

  private func log() -> String {
    (try? String(contentsOf: scratch.appendingPathComponent("chromium.log"), encoding: .utf8))
      ?? ""
  }

  // MARK: Process

  /// A close-on-exec pipe whose ends are numbered 10 or above, clear of fds 3 and 4.
  private static func makePipe() throws -> (read: Int32, write: Int32) {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw Failure.spawn(errno) }
    let moved = ends.map { end -> Int32 in
      let high = fcntl(end, F_DUPFD_CLOEXEC, 10)
      close(end)
      return high
    }
    guard moved.allSatisfy({ $0 >= 10 }) else { throw Failure.spawn(errno) }
    return (moved[0], moved[1])
  }

  /// Starts `arguments` with `fd3` and `fd4` as its fds 3 and 4 and its output in `log`.
  private static func spawn(_ arguments: [String], fd3: Int32, fd4: Int32, log: String) throws
    -> pid_t
  {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fd3, 3)
    posix_spawn_file_actions_adddup2(&actions, fd4, 4)
    // Nothing else of this process goes with it.
    SpawnedDescriptors.closeAll(from: 5, in: &actions)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
    guard code == 0 else { throw Failure.spawn(code) }
    return pid
  }
}
