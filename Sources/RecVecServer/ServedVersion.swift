import Foundation
import RecVec

/// What the service knows besides the versions: catalog, histories and the base scoring config.
/// Replaced as a whole by an admin reload.
struct ServingInputs: @unchecked Sendable {
    var catalog: Catalog?
    var histories: [String: [String]]
    var config: RecommenderConfig

    static func load(_ config: ServerConfig) throws -> ServingInputs {
        ServingInputs(catalog: try config.catalogPath.map { try Catalog.read(path: $0) },
                      histories: try config.historiesPath.map { try Histories.read(path: $0) } ?? [:],
                      config: config.recommender)
    }
}

/// One opened version and everything a request answered by it needs. A request takes a reference
/// once and keeps it until its response is written, so it is answered wholly by this version;
/// the maps are released when the service has moved on and the last request holding it ends.
final class ServedVersion: @unchecked Sendable {
    let recommender: Recommender
    let inputs: ServingInputs
    /// Rows by decreasing popularity (catalog popularity when given, else row order): the
    /// fallback for a history with no known item.
    let popularRows: [Int32]
    let popularityOfRow: [Float]

    var version: StoreVersion { recommender.version }
    var name: String { recommender.version.name }

    init(version: StoreVersion, inputs: ServingInputs) throws {
        recommender = try Recommender(version: version, catalog: inputs.catalog, histories: inputs.histories, config: inputs.config)
        self.inputs = inputs
        var popularity = [Float](repeating: 0, count: version.count)
        if let catalog = inputs.catalog {
            for (id, entry) in catalog.entries {
                if let row = version.row(of: id), let p = entry.popularity { popularity[Int(row)] = Float(p) }
            }
        }
        popularityOfRow = popularity
        popularRows = Ranking.descending(popularity)
    }
}
