import FaceHarvestCore
import Foundation
import Media

/// Faces' model crops held on disk instead of in memory, until the end of a pass: the probes
/// the single-pass harvest may still need once it knows the episode's plan (docs/harvest.md,
/// "One decode"). A temporary file, removed when the spill goes.
final class CropSpill {
  /// Where a held crop lies in the file.
  struct Slot {
    let offset: UInt64
    let width: Int
    let height: Int
  }

  private let url: URL
  private let handle: FileHandle
  private var end: UInt64 = 0

  /// A new, empty spill file in the system's temporary folder.
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "faceharvest-spill-\(UUID().uuidString).bin")
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
    handle = try FileHandle(forUpdating: url)
  }

  deinit {
    try? handle.close()
    try? FileManager.default.removeItem(at: url)
  }

  /// Writes `image` at the end of the file.
  func hold(_ image: BGRImage) throws -> Slot {
    try handle.seek(toOffset: end)
    try handle.write(contentsOf: Data(image.pixels))
    let slot = Slot(offset: end, width: image.width, height: image.height)
    end += UInt64(image.pixels.count)
    return slot
  }

  /// The image held in `slot`.
  func image(in slot: Slot) throws -> BGRImage {
    try handle.seek(toOffset: slot.offset)
    let count = slot.width * slot.height * 3
    guard let data = try handle.read(upToCount: count), data.count == count else {
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
    }
    return BGRImage(width: slot.width, height: slot.height, pixels: [UInt8](data))
  }
}
