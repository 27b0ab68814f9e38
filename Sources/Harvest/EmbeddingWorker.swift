import Foundation
import Inference
import ThreadPrimitives

/// Embeds batches of gated faces on its own thread, in the order they are submitted, so that
/// the model runs while the submitting thread goes on cutting crops (`HarvestSession`, for
/// both feeds; docs/harvest.md, "Pipeline and threads").
///
/// In the one-decode run the thread runs nice levels below the others: embedding has slack
/// (its queue), decoding has none.
final class EmbeddingWorker {
  /// A batch and the embedder's result for each of its faces.
  typealias Embedded = (
    batch: [FacesHarvester.GatedFace], results: [Result<[Float], EmbeddingRejectionError>]
  )

  /// Nice levels below the pipeline's other threads in the one-decode run.
  static let niceness: Int32 = 10
  /// Batches waiting (8 of 8 SFace crops are 2.4 MB). What is queued when the pass ends is
  /// embedded after it, on one core: 16 doubled that tail (1.8 s at 10 minutes) for no gain.
  static let capacity = 8

  private let queue = BoundedQueue<[FacesHarvester.GatedFace]>(capacity: capacity)
  private let done = Locked<(embedded: [Embedded], seconds: Double)>(([], 0))
  private let failure = FirstError()
  private let thread: StageThread

  /// Starts the thread, `niceness` levels below the caller's (0: the same); it waits for
  /// `embedder` to load before the first batch.
  init(embedder: Deferred<FaceEmbedder>, niceness: Int32 = EmbeddingWorker.niceness) {
    let (queue, done, failure) = (queue, done, failure)
    thread = StageThread(name: "harvest.embed") {
      if niceness > 0 { lowerCurrentThreadPriority(by: niceness) }
      while let batch = queue.pop() {
        let begin = Date()
        do {
          let results = try embedder.value().embed(batch.map(\.modelCrop))
          let seconds = Date().timeIntervalSince(begin)
          done.withLock {
            $0.embedded.append((batch, results))
            $0.seconds += seconds
          }
        } catch {
          failure.record(error)
          queue.abort()
        }
      }
    }
  }

  deinit {
    queue.abort()
    thread.join()
  }

  /// Rethrows the embedder's error, if any.
  func throwIfFailed() throws {
    if let error = failure.error { throw error }
  }

  /// Queues `batch`, waiting while the queue is full. Rethrows the embedder's error.
  func submit(_ batch: [FacesHarvester.GatedFace]) throws {
    if let error = failure.error { throw error }
    guard queue.push(batch) else { throw failure.error ?? HarvestError.cancelled }
  }

  /// The batches embedded since the last call, in submission order, and the seconds the
  /// model took for them.
  func takeEmbedded() -> (embedded: [Embedded], seconds: Double) {
    done.withLock { done in
      defer { done = ([], 0) }
      return done
    }
  }

  /// Waits until every submitted batch is embedded; then `takeEmbedded()` returns the rest.
  /// Rethrows the embedder's error. No batch may be submitted after. (This thread does not
  /// help: two concurrent runs of the model grew ONNX Runtime's arena by ~55 MiB.)
  func finish() throws {
    queue.finish()
    thread.join()
    if let error = failure.error { throw error }
  }
}
