import Media

extension ModelEntry {
  /// Converts images of the model's input size to its N×3×H×W input tensor: the entry's colour
  /// order and (x − mean) / std. Shared by every model family (detectors and embedders).
  public func inputTensor(for images: [BGRImage]) throws -> Tensor {
    try inputTensor(for: images, width: inputWidth, height: inputHeight)
  }

  /// The same for a model whose input height and width are dynamic, fed `width`×`height` images.
  public func inputTensor(for images: [BGRImage], width: Int, height: Int) throws -> Tensor {
    let plane = width * height
    var values = [Float](repeating: 0, count: images.count * 3 * plane)
    // Tensor channel c reads BGR byte offset sourceChannel[c].
    let sourceChannel = colourOrder == .rgb ? [2, 1, 0] : [0, 1, 2]
    let scale = std.map { 1 / $0 }
    try values.withUnsafeMutableBufferPointer { destination in
      for (index, image) in images.enumerated() {
        guard image.width == width, image.height == height else {
          throw InferenceError.invalidInput(
            reason:
              "image \(index) is \(image.width)×\(image.height), the model takes \(width)×\(height)"
          )
        }
        image.pixels.withUnsafeBufferPointer { source in
          let base = index * 3 * plane
          for channel in 0..<3 {
            let offset = sourceChannel[channel]
            let mean = mean[channel]
            let factor = scale[channel]
            let channelBase = base + channel * plane
            for pixel in 0..<plane {
              destination[channelBase + pixel] = (Float(source[pixel * 3 + offset]) - mean) * factor
            }
          }
        }
      }
    }
    return Tensor(shape: [images.count, 3, height, width], values: values)
  }
}
