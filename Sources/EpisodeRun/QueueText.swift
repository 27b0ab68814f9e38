import Artifacts
import FaceHarvestCore
import Foundation
import JobQueue

/// `queue status` as a table for people: one line per job, then the count per state.
enum QueueText {
  static func stages(_ job: QueuedJob) -> String {
    job.stages.map(\.rawValue).joined(separator: ",")
  }

  /// The jobs as a table, with times relative to `now`.
  static func table(_ jobs: [QueuedJob], now: Date) -> String {
    let header = ["ID", "EP_ID", "STATE", "ATTEMPTS", "WORKER", "PROGRESS", "TIME", "ERROR"]
    let rows = jobs.map { job in
      [
        "\(job.id)", job.epID, state(job, now: now), "\(job.attempts)/\(job.maxAttempts)",
        job.worker ?? "-", progress(job), time(job, now: now),
        job.error.map { String($0.prefix(100)).replacingOccurrences(of: "\n", with: " ") } ?? "",
      ]
    }
    let widths = header.indices.map { column in
      ([header] + rows).map { $0[column].count }.max() ?? 0
    }
    let lines = ([header] + rows).map { row in
      row.enumerated().map { column, cell in
        column == row.count - 1
          ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    let counts = Dictionary(grouping: jobs, by: \.state).mapValues(\.count)
    let summary = JobQueueState.allCases.compactMap { state in
      counts[state].map { "\($0) \(state.rawValue)" }
    }
    return
      (lines + [
        "\(jobs.count) job(s)" + (summary.isEmpty ? "" : ": ")
          + summary.joined(separator: ", ")
      ]).joined(separator: "\n")
  }

  private static func state(_ job: QueuedJob, now: Date) -> String {
    if job.state == .running, let lease = job.leaseExpiresAt, lease < now {
      return "running (lease expired)"
    }
    if job.state == .running, job.cancelRequested { return "running (cancelling)" }
    if job.state == .queued, job.runAfter > now {
      return "queued (retry in \(Int(job.runAfter.timeIntervalSince(now).rounded(.up)))s)"
    }
    return job.state.rawValue
  }

  private static func progress(_ job: QueuedJob) -> String {
    guard let progress = job.progress else { return "-" }
    let stage = progress["stage"]?.stringValue ?? progress["phase"]?.stringValue ?? "?"
    guard let done = progress["frames_done"]?.intValue,
      let total = progress["frames_total"]?.intValue, total > 0
    else { return stage }
    return "\(stage) \(done)/\(total)"
  }

  /// Running: for how long; ended: how long it took; queued: since when.
  private static func time(_ job: QueuedJob, now: Date) -> String {
    switch job.state {
    case .running: job.startedAt.map { "running " + duration(now.timeIntervalSince($0)) } ?? "-"
    case .queued: "waiting " + duration(now.timeIntervalSince(job.submittedAt))
    case .succeeded, .failed, .cancelled:
      if let started = job.startedAt, let finished = job.finishedAt {
        "took " + duration(finished.timeIntervalSince(started))
      } else {
        job.finishedAt.map { "ended " + ArtifactTimestamp.string(from: $0) } ?? "-"
      }
    }
  }

  private static func duration(_ seconds: TimeInterval) -> String {
    let total = max(0, Int(seconds.rounded()))
    return total < 60
      ? "\(total)s"
      : total < 3600 ? "\(total / 60)m\(total % 60)s" : "\(total / 3600)h\(total % 3600 / 60)m"
  }
}
