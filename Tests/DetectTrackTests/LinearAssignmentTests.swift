import Testing

@testable import DetectTrack

@Suite("Linear assignment")
struct LinearAssignmentTests {
  /// Exhaustive minimum over all partial matchings within the limit, for checking.
  static func bruteForce(_ costs: [[Double]], limit: Double) -> Double {
    func best(_ row: Int, _ used: Set<Int>) -> Double {
      guard row < costs.count else { return 0 }
      // Leaving a row unmatched costs the same "penalty" the solver uses implicitly: none,
      // but we maximise matches first, so count each unmatched row as limit + 1.
      var value = limit + 1 + best(row + 1, used)
      for column in costs[row].indices where !used.contains(column) && costs[row][column] <= limit {
        value = min(value, costs[row][column] + best(row + 1, used.union([column])))
      }
      return value
    }
    return best(0, [])
  }

  @Test("greedy is not optimal; the solver is")
  func beatsGreedy() {
    // Greedy takes (0,0) at 1, forcing (1,1) at 10: total 11. Optimal: (0,1)+(1,0) = 2 + 2.
    let costs: [[Double]] = [[1, 2], [2, 10]]
    let pairs = LinearAssignment.solve(costs: costs, maximumCost: 100)
    #expect(pairs.map(\.row) == [0, 1] && pairs.map(\.column) == [1, 0])
  }

  @Test("pairs above the limit stay unmatched; rectangular matrices work")
  func limitsAndShapes() {
    let costs: [[Double]] = [[0.9, 0.1, 0.95], [0.85, 0.99, 0.2]]
    let pairs = LinearAssignment.solve(costs: costs, maximumCost: 0.5)
    #expect(pairs.count == 2)
    #expect(pairs.contains { $0 == (0, 1) } && pairs.contains { $0 == (1, 2) })
    #expect(LinearAssignment.solve(costs: [[0.9]], maximumCost: 0.5).isEmpty)
    #expect(LinearAssignment.solve(costs: [], maximumCost: 1).isEmpty)
    let tall = LinearAssignment.solve(costs: [[0.3], [0.1], [0.2]], maximumCost: 1)
    #expect(tall.count == 1 && tall[0] == (1, 0))
  }

  @Test("matches the exhaustive optimum on random matrices", arguments: 0..<20)
  func optimal(seed: Int) {
    var state = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    let rows = 1 + seed % 4
    let columns = 1 + (seed / 4) % 5
    let costs = (0..<rows).map { _ in (0..<columns).map { _ in next() } }
    let limit = 0.7
    let pairs = LinearAssignment.solve(costs: costs, maximumCost: limit)
    #expect(
      Set(pairs.map(\.row)).count == pairs.count && Set(pairs.map(\.column)).count == pairs.count)
    let total =
      pairs.reduce(0) { $0 + costs[$1.row][$1.column] } + Double(rows - pairs.count) * (limit + 1)
    #expect(abs(total - Self.bruteForce(costs, limit: limit)) < 1e-9, "\(costs)")
  }
}
