import Foundation
import Testing

@testable import Artifacts

@Suite("File-system errors say what failed, on which path, and why, in one line")
struct FileSystemFailureTests {
  @Test("a full disk is 'No space left on device' naming the file, not a Foundation dump")
  func diskFull() throws {
    // /dev/full refuses every write with ENOSPC, as a full disk does.
    let error = #expect(throws: ArtifactError.self) {
      try FileSystemFailure.write(
        Data("crop".utf8), to: URL(fileURLWithPath: "/dev/full"),
        displayPath: "frames/ep/crops/track-00001/frame_000010.jpg")
    }
    let text = error.map { "\($0)" } ?? ""
    #expect(
      text == "frames/ep/crops/track-00001/frame_000010.jpg: cannot write: No space left on device")
    #expect(!text.contains("NSCocoaErrorDomain"))
  }

  @Test("a folder that cannot be created names the failure in one line")
  func notADirectory() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let file = directory.file("plain")
    try writeText("x", to: file)
    let error = #expect(throws: ArtifactError.self) {
      try FileSystemFailure.write(
        Data("x".utf8), to: file.appendingPathComponent("inside/crop.jpg"),
        displayPath: "frames/ep/crops/inside/crop.jpg")
    }
    let text = error.map { "\($0)" } ?? ""
    #expect(
      text == "frames/ep/crops/inside/crop.jpg: cannot create the folder plain: Not a directory")
    #expect(!text.contains("\n"))
    #expect(!text.contains("NSCocoaErrorDomain"))
  }

  @Test(
    "a stage's artifact folder or the lock folder blocked by a file: 'Not a directory', not error 512"
  )
  func artifactFolderIsAFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID("ep1")
    try writeText("x", to: directory.file("analytics"))
    try writeText("x", to: directory.file("locks"))
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
    let staged = #expect(throws: ArtifactError.self) {
      try transaction.stageJSON(["a": 1], at: layout.screentimeJSON(episode))
    }
    let locked = #expect(throws: ArtifactError.self) {
      _ = try EpisodeLock.acquire(layout: layout, episode: episode, purpose: "test")
    }
    for error in [staged, locked] {
      let text = error.map { "\($0)" } ?? ""
      #expect(
        text.hasSuffix(
          "cannot create the folder \(text.contains("lock") ? "locks" : "analytics"): Not a directory"
        ))
      #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("512"))
    }
  }

  @Test("Foundation's codes and POSIX errors become strerror's words")
  func reasons() {
    #expect(FileSystemFailure.reason(POSIXError(.ENOSPC)) == "No space left on device")
    let wrapped = NSError(
      domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
      userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
    #expect(FileSystemFailure.reason(wrapped) == "Permission denied")
    #expect(
      FileSystemFailure.reason(CocoaError(.fileWriteOutOfSpace)) == "No space left on device")
  }
}
