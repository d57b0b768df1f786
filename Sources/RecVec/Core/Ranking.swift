/// The one Swift top-K. Scores held in a `Matrix` go through the C kernels (`Kernels.topK`,
/// `rv_topk_f32` and `rv_score_topk_f32`, whose plain-Swift twin lives in KernelTwins); every
/// other ranking in Swift (a graph node's heaviest neighbours, the Bayes ceiling's best next
/// items, items by popularity) comes here, so that one rule decides them all: larger key first,
/// ties to the lower index, as in the kernels.
package enum Ranking {
    /// The indices in `0 ..< count` of the `k` largest keys, largest first (ties: lower index),
    /// skipping those `include` refuses. `k >= count` orders every included index. A bounded
    /// heap of `k` entries: O(count log k) time, O(k) memory.
    package static func top<Key: Comparable>(_ k: Int, of count: Int, where include: ((Int) -> Bool)? = nil,
                                             key: (Int) -> Key) -> [Int] {
        guard k > 0, count > 0 else { return [] }
        // `worse(a, b)`: a ranks after b. The heap keeps its worst entry at the root.
        func worse(_ a: (key: Key, index: Int), _ b: (key: Key, index: Int)) -> Bool {
            a.key < b.key || (a.key == b.key && a.index > b.index)
        }
        var heap: [(key: Key, index: Int)] = []
        heap.reserveCapacity(Swift.min(k, count))
        for i in 0 ..< count where include?(i) ?? true {
            let entry = (key: key(i), index: i)
            if heap.count < k {
                heap.append(entry)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard worse(heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if worse(heap[0], entry) {
                heap[0] = entry
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var worst = parent
                    if left < heap.count, worse(heap[left], heap[worst]) { worst = left }
                    if right < heap.count, worse(heap[right], heap[worst]) { worst = right }
                    guard worst != parent else { break }
                    heap.swapAt(parent, worst)
                    parent = worst
                }
            }
        }
        return heap.sorted { worse($1, $0) }.map(\.index)
    }

    /// Every index of `keys`, largest key first (ties: lower index), as `top` orders them. For
    /// callers in other modules, which get the generic `top` unspecialized: it then looks up
    /// tuple metadata (through a lock of the Swift runtime) on every comparison, and ordering
    /// 100k keys took 90% of the CPU of a server's repeated open of a version.
    package static func descending(_ keys: [Float]) -> [Int32] {
        top(keys.count, of: keys.count, key: { keys[$0] }).map { Int32($0) }
    }
}
