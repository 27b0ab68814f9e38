import Foundation
import Testing
import ThreadPrimitives

@Suite("Pipeline queue")
struct BoundedQueueTests {
  final class Payload: Sendable {
    let value: Int
    init(_ value: Int) { self.value = value }
  }

  @Test("first in, first out across the ring's wrap-around; finish drains")
  func order() {
    let queue = BoundedQueue<Int>(capacity: 3)
    var popped: [Int] = []
    for round in 0..<4 {
      queue.push(round * 2)
      queue.push(round * 2 + 1)
      popped.append(queue.pop()!)
      popped.append(queue.pop()!)
    }
    queue.push(100)
    queue.finish()
    popped.append(contentsOf: queue.popAvailable(maximum: 10))
    #expect(popped == [0, 1, 2, 3, 4, 5, 6, 7, 100])
    #expect(queue.pop() == nil)
  }

  @Test("a popped element is not kept alive by the queue (frames are megabytes)")
  func releasesPopped() {
    let queue = BoundedQueue<Payload>(capacity: 4)
    weak var weakPayload: Payload?
    do {
      let payload = Payload(7)
      weakPayload = payload
      queue.push(payload)
      #expect(queue.pop()?.value == 7)
    }
    #expect(weakPayload == nil)
  }

  @Test("popAvailable takes what is ready, up to the maximum")
  func popAvailable() {
    let queue = BoundedQueue<Int>(capacity: 8)
    for value in 0..<5 { queue.push(value) }
    #expect(queue.popAvailable(maximum: 3) == [0, 1, 2])
    #expect(queue.popAvailable(maximum: 3) == [3, 4])
  }

  @Test("a producer blocked on a full queue is released by abort")
  func abortReleasesProducer() {
    let queue = BoundedQueue<Int>(capacity: 1)
    queue.push(1)
    let producer = StageThread(name: "test.producer") {
      #expect(queue.push(2) == false)
    }
    Thread.sleep(forTimeInterval: 0.05)
    queue.abort()
    producer.join()
    #expect(queue.pop() == nil)
  }
}

@Suite("Thread budget and priorities")
struct ThreadBudgetTests {
  @Test("0 means half the active cores, at least one; a number asked for is kept")
  func poolThreads() {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    #expect(ThreadBudget.poolThreads(0) == max(1, cores / 2))
    #expect(ThreadBudget.poolThreads(-3) == max(1, cores / 2))
    #expect(ThreadBudget.poolThreads(3) == 3)
  }

  #if os(Linux)
    @Test("lowering a thread's priority changes that thread's nice value only")
    func lowerPriority() {
      let which = __priority_which_t(PRIO_PROCESS.rawValue)
      let callerBefore = getpriority(which, 0)
      let change = Locked<Int32?>(nil)
      StageThread(name: "test.nice") {
        let before = getpriority(which, 0)
        lowerCurrentThreadPriority(by: 3)
        change.withLock { $0 = getpriority(which, 0) - before }
      }.join()
      // A nice value stops at 19.
      #expect(change.value == min(3, 19 - callerBefore))
      #expect(getpriority(which, 0) == callerBefore)
    }
  #endif
}
