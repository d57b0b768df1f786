import Foundation

extension Guards {
    /// Adds warnings to every method row of `table` that has a Popularity row on the same protocol
    /// (cold-start rows excepted: behaviour-only methods cannot rank a cold item by design).
    package static func annotate(_ table: inout ResultsTable) {
        let methodNames = Set(Method.allCases.map(\.tableName))
        for i in table.rows.indices where methodNames.contains(table.rows[i].method) && table.rows[i].skipped == nil
            && table.rows[i].evalProtocol != .coldStart {
            guard let pop = table.rows.first(where: { $0.method == "Popularity" && $0.evalProtocol == table.rows[i].evalProtocol }) else { continue }
            table.rows[i].warnings += check(method: table.rows[i].method, metrics: table.rows[i].metrics, popularity: pop.metrics)
        }
    }
}
