import Foundation

#if os(Linux)
  import Glibc
#endif

/// A blocking first-in-first-out queue with a fixed capacity, for handing work between the
/// threads of a pipeline. `push` waits while the queue is full, `pop` while it is empty;
/// `finish()` ends the stream and `fail()` aborts every waiter, so no stage can hang.
public final class BoundedQueue<Element> {
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

// Every stored property is read and written under `condition`'s lock: the queue can be shared
// between threads exactly when its elements can.
extension BoundedQueue: @unchecked Sendable where Element: Sendable {}

/// The first error any pipeline stage raised; later ones are dropped.
public final class FirstError: Sendable {
  private let stored = Locked<(any Error)?>(nil)

  /// Nothing recorded yet.
  public init() {}

  /// Keeps `error` if it is the first.
  public func record(_ error: any Error) {
    stored.withLock { stored in
      if stored == nil { stored = error }
    }
  }

  /// The first error recorded, if any.
  public var error: (any Error)? { stored.value }
}

/// Runs `body` on a new thread and lets the caller wait for it.
public final class StageThread: Sendable {
  private let done = DispatchSemaphore(value: 0)

  /// Starts `body` on a thread called `name` (8 MiB stack).
  public init(name: String, body: @escaping @Sendable () -> Void) {
    let done = self.done
    let thread = Thread {
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
public final class Deferred<Value: Sendable>: Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let result = Locked<Result<Value, any Error>?>(nil)

  /// Starts computing on a thread called `name`.
  public init(name: String, _ compute: @escaping @Sendable () throws -> Value) {
    let thread = Thread { [self] in
      let outcome = Result { try compute() }
      result.withLock { $0 = outcome }
      done.signal()
    }
    thread.name = name
    thread.start()
  }

  /// The value, waiting for it; rethrows the computation's error.
  public func value() throws -> Value {
    if let result = result.value { return try result.get() }
    done.wait()
    done.signal()
    return try result.value!.get()
  }
}

/// A value shared between threads (counters, job state, lists a stage fills and the caller
/// reads after joining it), every access under a lock.
///
/// The lock is a pthread mutex (`NSLock`), not `Synchronization.Mutex`: on Linux,
/// ThreadSanitizer cannot see `Mutex`'s futex-based locking and reports every access it guards
/// as a race (a two-thread counter reproduces it), which would bury real races in
/// `make tsan` (README, "Development").
public final class Locked<Value: Sendable>: @unchecked Sendable {
  // Unchecked: `stored` is read and written only while `lock` is held.
  private let lock = NSLock()
  private var stored: Value

  /// Wraps `value`.
  public init(_ value: Value) { stored = value }

  /// `body` applied to the value under the lock.
  public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
    lock.lock()
    defer { lock.unlock() }
    return try body(&stored)
  }

  /// A copy of the value.
  public var value: Value { withLock { $0 } }
}

/// A task executor running jobs one at a time on a private dispatch queue, whose thread is not
/// one of the cooperative pool's: tasks that time what they wait for (a worker's database
/// calls, tests watching leases) do not wait behind blocking code that holds the pool.
public final class SerialQueueExecutor: TaskExecutor {
  private let queue: DispatchQueue

  /// An executor on a new queue named `label`.
  public init(label: String) { queue = DispatchQueue(label: label) }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }
}

/// Runs blocking `body` on a new thread and waits for it without holding a thread of Swift's
/// cooperative pool or of NIO's blocking pool (the stages are blocking code).
public func runOnOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws
  -> T
{
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread { continuation.resume(with: Result { try body() }) }
    thread.stackSize = 8 << 20
    thread.start()
  }
}

/// The same for a body that cannot fail.
public func runOnOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    let thread = Thread { continuation.resume(returning: body()) }
    thread.stackSize = 8 << 20
    thread.start()
  }
}

/// How many threads a pool gets when its caller says 0 (automatic): the FFmpeg decoder's and
/// each ONNX Runtime session's (docs/detect_track.md, "Threads"). The stages already run
/// decoding, detection, tracking and embedding on threads of their own, concurrently, so a pool
/// gets half the cores: measured on 2 cores, one intra-op thread per model and one decoder
/// thread made the whole pipeline ~20% faster than a pool per core each, and used ~15% less
/// CPU (a second intra-op thread bought YuNet 10% speed for 50% more CPU).
public enum ThreadBudget {
  /// `requested`, or half the active cores (at least 1) when it is 0 or less.
  public static func poolThreads(_ requested: Int) -> Int {
    requested > 0 ? requested : max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
  }
}

/// Lowers the calling thread's scheduling priority by `steps` nice levels (Linux: niceness is
/// per thread), so that work with slack yields the cores to the pipeline's longest chain.
/// Failure is ignored: the thread then runs at the process's priority.
public func lowerCurrentThreadPriority(by steps: Int32) {
  #if os(Linux)
    // Linux keeps the nice value per thread; `who` 0 is the calling thread.
    let which = __priority_which_t(PRIO_PROCESS.rawValue)
    _ = setpriority(which, 0, getpriority(which, 0) + steps)
  #endif
}
