/// Optimal one-to-one assignment (Hungarian method, O(n³)) for a rectangular cost matrix.
public enum LinearAssignment {
  /// The pairs (row, column) of minimum total cost such that each row and column is used at most
  /// once and no pair costs more than `maximumCost`. Rows are tracks, columns detections.
  public static func solve(costs: [[Double]], maximumCost: Double) -> [(row: Int, column: Int)] {
    let rows = costs.count
    let columns = costs.first?.count ?? 0
    guard rows > 0, columns > 0 else { return [] }
    // A pair above the limit gets a cost no optimal solution prefers over leaving both free.
    let forbidden = maximumCost + 1 + Double(max(rows, columns)) * (maximumCost + 1)
    let size = max(rows, columns)
    var matrix = [[Double]](repeating: [Double](repeating: forbidden, count: size), count: size)
    for row in 0..<rows {
      for column in 0..<columns
      where costs[row][column] <= maximumCost && costs[row][column].isFinite {
        matrix[row][column] = costs[row][column]
      }
    }
    let assignment = hungarian(matrix)
    var pairs: [(row: Int, column: Int)] = []
    for row in 0..<rows {
      let column = assignment[row]
      if column < columns, costs[row][column] <= maximumCost { pairs.append((row, column)) }
    }
    return pairs
  }

  /// Square Hungarian algorithm with potentials; returns the column of each row.
  static func hungarian(_ cost: [[Double]]) -> [Int] {
    let n = cost.count
    var u = [Double](repeating: 0, count: n + 1)
    var v = [Double](repeating: 0, count: n + 1)
    var matchOfColumn = [Int](repeating: 0, count: n + 1)  // 1-based row matched to column
    var way = [Int](repeating: 0, count: n + 1)
    for row in 1...n {
      matchOfColumn[0] = row
      var column0 = 0
      var minimum = [Double](repeating: .infinity, count: n + 1)
      var used = [Bool](repeating: false, count: n + 1)
      repeat {
        used[column0] = true
        let row0 = matchOfColumn[column0]
        var delta = Double.infinity
        var column1 = 0
        for column in 1...n where !used[column] {
          let reduced = cost[row0 - 1][column - 1] - u[row0] - v[column]
          if reduced < minimum[column] {
            minimum[column] = reduced
            way[column] = column0
          }
          if minimum[column] < delta {
            delta = minimum[column]
            column1 = column
          }
        }
        for column in 0...n {
          if used[column] {
            u[matchOfColumn[column]] += delta
            v[column] -= delta
          } else {
            minimum[column] -= delta
          }
        }
        column0 = column1
      } while matchOfColumn[column0] != 0
      repeat {
        let column1 = way[column0]
        matchOfColumn[column0] = matchOfColumn[column1]
        column0 = column1
      } while column0 != 0
    }
    var result = [Int](repeating: -1, count: n)
    for column in 1...n where matchOfColumn[column] > 0 {
      result[matchOfColumn[column] - 1] = column - 1
    }
    return result
  }
}
