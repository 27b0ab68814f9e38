import CTurboJPEG
public import FaceHarvestCore
public import Foundation

/// An error from JPEG encoding or decoding.
public enum JPEGError: Error, CustomStringConvertible, LocalizedError {
  /// libjpeg-turbo failed; `message` is its own.
  case codec(operation: String, message: String)
  /// The quality is outside 1...100.
  case invalidQuality(Int)
  /// The image has no pixels.
  case emptyImage

  public var description: String {
    switch self {
    case .codec(let operation, let message): return "libjpeg-turbo \(operation) failed: \(message)"
    case .invalidQuality(let quality): return "JPEG quality \(quality) is outside 1...100"
    case .emptyImage: return "cannot encode an image with no pixels"
    }
  }

  public var errorDescription: String? { description }
}

/// A libjpeg-turbo compressor handle; one per thread (handles are not thread-safe).
public final class JPEGEncoder {
  private let handle: tjhandle

  /// Creates a compressor.
  public init() throws {
    guard let handle = tjInitCompress() else {
      throw JPEGError.codec(operation: "tjInitCompress", message: String(cString: tjGetErrorStr()))
    }
    self.handle = handle
  }

  deinit { tjDestroy(handle) }

  /// Encodes `image` at `quality` (1...100) with 4:2:0 chroma subsampling.
  public func encode(_ image: BGRImage, quality: Int) throws -> Data {
    guard (1...100).contains(quality) else { throw JPEGError.invalidQuality(quality) }
    guard image.width > 0, image.height > 0 else { throw JPEGError.emptyImage }
    var output: UnsafeMutablePointer<UInt8>?
    var size: UInt = 0
    let status = image.pixels.withUnsafeBufferPointer { pixels in
      tjCompress2(
        handle, pixels.baseAddress, Int32(image.width), Int32(image.rowStride),
        Int32(image.height), Int32(TJPF_BGR.rawValue), &output, &size, Int32(TJSAMP_420.rawValue),
        Int32(quality), 0)
    }
    defer { if let output { tjFree(output) } }
    guard status == 0, let output else {
      throw JPEGError.codec(
        operation: "tjCompress2", message: String(cString: tjGetErrorStr2(handle)))
    }
    return Data(bytes: output, count: Int(size))
  }
}

/// A libjpeg-turbo decompressor handle; one per thread.
public final class JPEGDecoder {
  private let handle: tjhandle

  /// Creates a decompressor.
  public init() throws {
    guard let handle = tjInitDecompress() else {
      throw JPEGError.codec(
        operation: "tjInitDecompress", message: String(cString: tjGetErrorStr()))
    }
    self.handle = handle
  }

  deinit { tjDestroy(handle) }

  /// Decodes a JPEG file's bytes into BGR pixels.
  public func decode(_ data: Data) throws -> BGRImage {
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    let headerStatus = data.withUnsafeBytes { bytes in
      tjDecompressHeader3(
        handle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(data.count), &width, &height,
        &subsampling, &colorspace)
    }
    guard headerStatus == 0, width > 0, height > 0 else {
      throw JPEGError.codec(
        operation: "tjDecompressHeader3", message: String(cString: tjGetErrorStr2(handle)))
    }
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
    let status = data.withUnsafeBytes { bytes in
      pixels.withUnsafeMutableBufferPointer { destination in
        tjDecompress2(
          handle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(data.count),
          destination.baseAddress, width, width * 3, height, Int32(TJPF_BGR.rawValue), 0)
      }
    }
    guard status == 0 else {
      throw JPEGError.codec(
        operation: "tjDecompress2", message: String(cString: tjGetErrorStr2(handle)))
    }
    return BGRImage(width: Int(width), height: Int(height), pixels: pixels)
  }
}
