import COnnxRuntime
public import Foundation
public import Logging

/// Where a model runs.
public enum ExecutionDevice: String, Sendable, CaseIterable, Codable {
  /// ONNX Runtime's CPU provider (always present).
  case cpu
  /// ONNX Runtime's CUDA provider; only when the loaded library was built with it.
  case cuda
}

/// A dense float32 tensor in row-major order.
public struct Tensor: Sendable, Equatable {
  /// The dimensions, outermost first.
  public var shape: [Int]
  /// `shape.reduce(1, *)` values, row-major.
  public var values: [Float]

  /// Creates a tensor; `values.count` must equal the product of `shape`.
  public init(shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }

  /// The number of elements the shape describes.
  public var elementCount: Int { shape.reduce(1, *) }
}

/// The name and declared dimensions of a model input or output (-1 marks a dynamic dimension).
public struct TensorSignature: Sendable, Equatable, CustomStringConvertible {
  /// The graph's name for the tensor.
  public let name: String
  /// Declared dimensions; -1 (or a symbolic name in the graph) is reported as -1.
  public let dimensions: [Int]

  public var description: String {
    "\(name)[\(dimensions.map { $0 < 0 ? "?" : String($0) }.joined(separator: "×"))]"
  }
}

/// One loaded ONNX model. `run` may be called from several threads at once (ONNX Runtime's
/// `Run` is thread-safe for a session).
///
/// Unchecked because it holds C pointers: they are set once in `init`, freed in `deinit`, and
/// ONNX Runtime documents concurrent `Run` calls on one session as safe.
public final class OrtInferenceSession: @unchecked Sendable {
  private let session: OpaquePointer
  private let memoryInfo: OpaquePointer
  private let inputNamePointers: [UnsafeMutablePointer<CChar>]
  private let outputNamePointers: [UnsafeMutablePointer<CChar>]
  /// The model's inputs, in graph order.
  public let inputs: [TensorSignature]
  /// The model's outputs, in graph order.
  public let outputs: [TensorSignature]
  /// The model file this session was created from.
  public let modelPath: String
  /// The device the session runs on.
  public let device: ExecutionDevice

  /// Loads `modelURL`. `intraOpThreads` 0 lets ONNX Runtime pick (one per core).
  public init(
    modelURL: URL, device: ExecutionDevice = .cpu, intraOpThreads: Int = 0,
    logger: Logger = Logger(label: "faceharvest.inference")
  ) throws {
    let api = OrtAPI.table
    modelPath = modelURL.path
    self.device = device
    guard FileManager.default.isReadableFile(atPath: modelURL.path) else {
      throw InferenceError.modelNotFound(path: modelURL.path)
    }
    let environment = OrtEnvironment.shared

    var options: OpaquePointer?
    try OrtAPI.check(api.CreateSessionOptions(&options), "CreateSessionOptions")
    guard let options else {
      throw InferenceError.runtime(operation: "CreateSessionOptions", message: "no options")
    }
    defer { api.ReleaseSessionOptions(options) }
    try OrtAPI.check(
      api.SetIntraOpNumThreads(options, Int32(max(0, intraOpThreads))), "SetIntraOpNumThreads")
    try OrtAPI.check(api.SetInterOpNumThreads(options, 1), "SetInterOpNumThreads")
    try OrtAPI.check(
      api.SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL),
      "SetSessionGraphOptimizationLevel")
    // The harvest shares the cores with the decoder: idle ONNX Runtime workers must sleep, not
    // spin (measured on 2 cores: the end-to-end harvest is 10–20% faster). The CPU memory arena
    // stays on: without it the same run was ~25% slower, for ~15% less peak memory.
    try OrtAPI.check(
      api.AddSessionConfigEntry(options, "session.intra_op.allow_spinning", "0"),
      "AddSessionConfigEntry")
    // The memory pattern (one block planned per input shape) held ~75 MiB more for SFace at
    // batch 8 and ~30 MiB for YuNet at two input sizes, for no measurable speed
    // (docs/harvest.md, "Embedding speed").
    try OrtAPI.check(api.DisableMemPattern(options), "DisableMemPattern")
    if device == .cuda {
      try Self.appendCUDA(to: options)
    }

    var created: OpaquePointer?
    try OrtAPI.check(
      modelURL.path.withCString { api.CreateSession(environment.handle, $0, options, &created) },
      "CreateSession(\(modelURL.lastPathComponent))")
    guard let created else {
      throw InferenceError.runtime(operation: "CreateSession", message: "returned no session")
    }
    session = created

    var info: OpaquePointer?
    do {
      try OrtAPI.check(
        api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info), "CreateCpuMemoryInfo")
    } catch {
      api.ReleaseSession(created)
      throw error
    }
    memoryInfo = info!

    do {
      inputs = try Self.signatures(of: created, inputs: true)
      outputs = try Self.signatures(of: created, inputs: false)
    } catch {
      api.ReleaseMemoryInfo(memoryInfo)
      api.ReleaseSession(created)
      throw error
    }
    inputNamePointers = inputs.map { strdup($0.name)! }
    outputNamePointers = outputs.map { strdup($0.name)! }
    logger.debug(
      "loaded model",
      metadata: [
        "model": "\(modelURL.lastPathComponent)", "inputs": "\(inputs)", "outputs": "\(outputs)",
        "device": "\(device.rawValue)", "onnxruntime": "\(OrtAPI.libraryVersion)",
      ])
  }

  deinit {
    for pointer in inputNamePointers + outputNamePointers { free(pointer) }
    OrtAPI.table.ReleaseMemoryInfo(memoryInfo)
    OrtAPI.table.ReleaseSession(session)
  }

  private static func appendCUDA(to options: OpaquePointer) throws {
    let available = try OrtEnvironment.availableProviders()
    guard available.contains("CUDAExecutionProvider") else {
      throw InferenceError.providerUnavailable(
        provider: "CUDAExecutionProvider", available: available)
    }
    let api = OrtAPI.table
    var cudaOptions: OpaquePointer?
    try OrtAPI.check(api.CreateCUDAProviderOptions(&cudaOptions), "CreateCUDAProviderOptions")
    defer { if let cudaOptions { api.ReleaseCUDAProviderOptions(cudaOptions) } }
    try OrtAPI.check(
      api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cudaOptions),
      "SessionOptionsAppendExecutionProvider_CUDA_V2")
  }

  private static func signatures(of session: OpaquePointer, inputs: Bool) throws
    -> [TensorSignature]
  {
    let api = OrtAPI.table
    var allocator: UnsafeMutablePointer<OrtAllocator>?
    try OrtAPI.check(
      api.GetAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions")
    var count = 0
    try OrtAPI.check(
      inputs
        ? api.SessionGetInputCount(session, &count) : api.SessionGetOutputCount(session, &count),
      "SessionGetCount")
    var result: [TensorSignature] = []
    for index in 0..<count {
      var namePointer: UnsafeMutablePointer<CChar>?
      try OrtAPI.check(
        inputs
          ? api.SessionGetInputName(session, index, allocator, &namePointer)
          : api.SessionGetOutputName(session, index, allocator, &namePointer),
        "SessionGetName")
      let name = namePointer.map { String(cString: $0) } ?? ""
      if let namePointer {
        try OrtAPI.check(api.AllocatorFree(allocator, namePointer), "AllocatorFree")
      }

      var typeInfo: OpaquePointer?
      try OrtAPI.check(
        inputs
          ? api.SessionGetInputTypeInfo(session, index, &typeInfo)
          : api.SessionGetOutputTypeInfo(session, index, &typeInfo),
        "SessionGetTypeInfo")
      defer { if let typeInfo { api.ReleaseTypeInfo(typeInfo) } }
      var tensorInfo: OpaquePointer?
      try OrtAPI.check(
        api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "CastTypeInfoToTensorInfo")
      var dimensions: [Int] = []
      if let tensorInfo {
        dimensions = try Self.dimensions(of: tensorInfo)
      }
      result.append(TensorSignature(name: name, dimensions: dimensions))
    }
    return result
  }

  private static func dimensions(of tensorInfo: OpaquePointer) throws -> [Int] {
    let api = OrtAPI.table
    var rank = 0
    try OrtAPI.check(api.GetDimensionsCount(tensorInfo, &rank), "GetDimensionsCount")
    var raw = [Int64](repeating: 0, count: rank)
    try OrtAPI.check(
      raw.withUnsafeMutableBufferPointer { api.GetDimensions(tensorInfo, $0.baseAddress, rank) },
      "GetDimensions")
    return raw.map { Int($0) }
  }

  /// Runs a single-input model and returns every output in graph order.
  public func run(_ input: Tensor) throws -> [Tensor] {
    guard inputs.count == 1 else {
      throw InferenceError.unexpectedModelLayout(
        path: modelPath, reason: "expected one input, the model declares \(inputs)")
    }
    guard input.values.count == input.elementCount, !input.shape.isEmpty else {
      throw InferenceError.invalidInput(
        reason: "\(input.values.count) values for shape \(input.shape)")
    }
    let declared = inputs[0].dimensions
    let compatible =
      declared.count == input.shape.count
      && zip(declared, input.shape).allSatisfy { $0 < 0 || $0 == $1 }
    guard compatible else {
      throw InferenceError.invalidInput(
        reason: "shape \(input.shape) does not fit the model's input \(inputs[0])")
    }
    let api = OrtAPI.table
    let shape = input.shape.map { Int64($0) }
    var inputValue: OpaquePointer?
    var outputValues = [OpaquePointer?](repeating: nil, count: outputs.count)
    defer {
      for value in outputValues { if let value { api.ReleaseValue(value) } }
    }
    try input.values.withUnsafeBufferPointer { buffer in
      try shape.withUnsafeBufferPointer { shapeBuffer in
        try OrtAPI.check(
          api.CreateTensorWithDataAsOrtValue(
            memoryInfo, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
            buffer.count * MemoryLayout<Float>.stride, shapeBuffer.baseAddress, shape.count,
            ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &inputValue),
          "CreateTensorWithDataAsOrtValue")
        defer { if let inputValue { api.ReleaseValue(inputValue) } }
        let inputNames: [UnsafePointer<CChar>?] = inputNamePointers.map { UnsafePointer($0) }
        let outputNames: [UnsafePointer<CChar>?] = outputNamePointers.map { UnsafePointer($0) }
        let inputValues: [OpaquePointer?] = [inputValue]
        try OrtAPI.check(
          api.Run(
            session, nil, inputNames, inputValues, 1, outputNames, outputNames.count,
            &outputValues),
          "Run(\(URL(fileURLWithPath: modelPath).lastPathComponent))")
      }
    }
    return try outputValues.enumerated().map { index, value in
      guard let value else {
        throw InferenceError.runtime(operation: "Run", message: "output \(index) missing")
      }
      return try Self.tensor(from: value, name: outputs[index].name, path: modelPath)
    }
  }

  private static func tensor(from value: OpaquePointer, name: String, path: String) throws -> Tensor
  {
    let api = OrtAPI.table
    var info: OpaquePointer?
    try OrtAPI.check(api.GetTensorTypeAndShape(value, &info), "GetTensorTypeAndShape")
    guard let info else {
      throw InferenceError.unexpectedModelLayout(
        path: path, reason: "output \(name) is not a tensor")
    }
    defer { api.ReleaseTensorTypeAndShapeInfo(info) }
    var elementType = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
    try OrtAPI.check(api.GetTensorElementType(info, &elementType), "GetTensorElementType")
    guard elementType == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT else {
      throw InferenceError.unexpectedModelLayout(
        path: path, reason: "output \(name) has element type \(elementType.rawValue), not float32")
    }
    let shape = try dimensions(of: info)
    var count = 0
    try OrtAPI.check(api.GetTensorShapeElementCount(info, &count), "GetTensorShapeElementCount")
    var data: UnsafeMutableRawPointer?
    try OrtAPI.check(api.GetTensorMutableData(value, &data), "GetTensorMutableData")
    guard let data else { return Tensor(shape: shape, values: []) }
    let floats = data.bindMemory(to: Float.self, capacity: count)
    return Tensor(shape: shape, values: Array(UnsafeBufferPointer(start: floats, count: count)))
  }
}
