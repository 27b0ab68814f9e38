public import Glibc

/// What a child started with `posix_spawn` inherits.
public enum SpawnedDescriptors {
  /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), which Swift's Glibc module does not
  /// declare (it is a GNU extension), looked up once.
  private static let addCloseFrom:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
      guard
        let symbol = dlsym(
          UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
      else { return nil }
      return unsafeBitCast(
        symbol,
        to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)
          .self)
    }()

  /// Adds an action closing every descriptor from `first` up in the child. Foundation's
  /// `Process` learns that a child ended when the last copy of a socket it gave that child
  /// closes: a process spawned meanwhile that inherits such a copy (a database server, a
  /// browser) keeps an unrelated test's `waitUntilExit` waiting for as long as it lives.
  public static func closeAll(
    from first: Int32, in actions: UnsafeMutablePointer<posix_spawn_file_actions_t>
  ) {
    guard let addCloseFrom else {
      preconditionFailure("glibc without posix_spawn_file_actions_addclosefrom_np (2.34+)")
    }
    let code = addCloseFrom(actions, first)
    precondition(code == 0, "posix_spawn_file_actions_addclosefrom_np: \(code)")
  }
}
