public import FaceHarvestCore
import Media

extension ModelEntry {
  /// Converts images of the model's input size to its N×3×H×W input tensor: the entry's colour
  /// order and (x − mean) / std. Shared by every model family (detectors and embedders).
  /// An image of another size is an input error.
  public func inputTensor(for images: [BGRImage]) throws -> Tensor {
    for (index, image) in images.enumerated()
    where image.width != inputWidth || image.height != inputHeight {
      throw InferenceError.invalidInput(
        reason: "image \(index) is \(image.width)×\(image.height), the model takes "
          + "\(inputWidth)×\(inputHeight)")
    }
    return try inputTensor(for: images, width: inputWidth, height: inputHeight)
  }

  /// The same for a model whose input is `width`×`height`: each image (at most that size) goes
  /// into the top-left corner, the rest of the input is black (a letterbox, or a dynamic input
  /// padded to the model's stride).
  public func inputTensor(for images: [BGRImage], width: Int, height: Int) throws -> Tensor {
    let plane = width * height
    for (index, image) in images.enumerated()
    where image.width > width || image.height > height {
      throw InferenceError.invalidInput(
        reason:
          "image \(index) is \(image.width)×\(image.height), the model takes \(width)×\(height)")
    }
    // Tensor channel c reads BGR byte offset sourceChannel[c].
    let sourceChannel = colourOrder == .rgb ? [2, 1, 0] : [0, 1, 2]
    let factor = std.map { 1 / $0 }
    let black = (0..<3).map { -mean[$0] * factor[$0] }
    let values = [Float](unsafeUninitializedCapacity: images.count * 3 * plane) { buffer, count in
      let tensor = buffer.baseAddress!
      for (index, image) in images.enumerated() {
        for channel in 0..<3 {
          let destination = tensor + (index * 3 + channel) * plane
          let offset = sourceChannel[channel]
          let (mean, factor) = (mean[channel], factor[channel])
          image.pixels.withUnsafeBufferPointer { pixels in
            for row in 0..<image.height {
              let source = pixels.baseAddress! + row * image.rowStride + offset
              let line = destination + row * width
              for column in 0..<image.width {
                line[column] = (Float(source[column * 3]) - mean) * factor
              }
              (line + image.width).update(repeating: black[channel], count: width - image.width)
            }
          }
          let filled = image.height * width
          (destination + filled).update(repeating: black[channel], count: plane - filled)
        }
      }
      count = buffer.count
    }
    return Tensor(shape: [images.count, 3, height, width], values: values)
  }
}
