import Foundation

/// A blocking first-in-first-out queue with a fixed capacity, for handing work between the
/// threads of a pipeline. `push` waits while the queue is full, `pop` while it is empty;
/// `finish()` ends the stream and `fail()` aborts every waiter, so no stage can hang.
public final class BoundedQueue<Element>: @unchecked Sendable {
  private let condition = NSCondition()
  /// A ring buffer: a popped slot is set to nil at once, so the queue never keeps a reference
  /// to an element it handed out (a decoded frame is megabytes).
  private var slots: [Element?]
  private var head = 0
  private var count = 0
  private var finished = false
  private var aborted = false
  /// The most elements the queue holds.
  public let capacity: Int

  /// Creates an empty queue holding at most `capacity` elements.
  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
    slots = Array(repeating: nil, count: capacity)
  }

  /// Adds an element, waiting for room. Returns false when the queue was aborted.
  @discardableResult
  public func push(_ element: Element) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while count >= capacity && !aborted { condition.wait() }
    guard !aborted else { return false }
    slots[(head + count) % capacity] = element
    count += 1
    condition.broadcast()
    return true
  }

  private func takeFirst() -> Element {
    let element = slots[head]!
    slots[head] = nil
    head = (head + 1) % capacity
    count -= 1
    return element
  }

  /// The next element, waiting for one; nil once the queue is finished and drained, or aborted.
  public func pop() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while count == 0 && !finished && !aborted { condition.wait() }
    guard !aborted, count > 0 else { return nil }
    let element = takeFirst()
    condition.broadcast()
    return element
  }

  /// Waits for at least one element, then takes every element already queued, up to
  /// `maximum`; empty once the queue is finished and drained, or aborted. This lets a consumer
  /// batch whatever is ready instead of idling until a full batch accumulates.
  public func popAvailable(maximum: Int) -> [Element] {
    condition.lock()
    defer { condition.unlock() }
    while count == 0 && !finished && !aborted { condition.wait() }
    guard !aborted else { return [] }
    var taken: [Element] = []
    while count > 0 && taken.count < maximum { taken.append(takeFirst()) }
    condition.broadcast()
    return taken
  }

  /// No more elements will be pushed.
  public func finish() {
    condition.lock()
    finished = true
    condition.broadcast()
    condition.unlock()
  }

  /// Stops the pipeline: waiting pushes and pops return at once.
  public func abort() {
    condition.lock()
    aborted = true
    condition.broadcast()
    condition.unlock()
  }
}

/// The first error any pipeline stage raised; later ones are dropped.
public final class FirstError: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Error?

  /// Nothing recorded yet.
  public init() {}

  /// Keeps `error` if it is the first.
  public func record(_ error: Error) {
    lock.lock()
    if stored == nil { stored = error }
    lock.unlock()
  }

  /// The first error recorded, if any.
  public var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }
}

/// Runs `body` on a new thread and lets the caller wait for it.
public final class StageThread: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let thread: Thread

  /// Starts `body` on a thread called `name` (8 MiB stack).
  public init(name: String, body: @escaping @Sendable () -> Void) {
    let done = self.done
    thread = Thread {
      body()
      done.signal()
    }
    thread.name = name
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// Waits for the body to return; may be called more than once.
  public func join() {
    done.wait()
    done.signal()
  }
}

/// A value computed on its own thread (for example a model loading while decoding starts);
/// `value()` waits for it and rethrows its error.
public final class Deferred<Value>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var result: Result<Value, Error>?

  /// Starts computing on a thread called `name`.
  public init(name: String, _ compute: @escaping @Sendable () throws -> Value) {
    let thread = Thread { [self] in
      let outcome = Result { try compute() }
      lock.lock()
      result = outcome
      lock.unlock()
      done.signal()
    }
    thread.name = name
    thread.start()
  }

  /// The value, waiting for it; rethrows the computation's error.
  public func value() throws -> Value {
    lock.lock()
    if let result {
      lock.unlock()
      return try result.get()
    }
    lock.unlock()
    done.wait()
    done.signal()
    lock.lock()
    defer { lock.unlock() }
    return try result!.get()
  }
}

/// A value handed to exactly one stage thread at a time (for example the decoder, used only by
/// the decode stage once it starts). The caller guarantees the confinement; nothing is locked.
public final class Confined<Value>: @unchecked Sendable {
  /// The value.
  public var value: Value

  /// Wraps `value`.
  public init(_ value: Value) { self.value = value }
}
