/// Checks that a trained model has not collapsed: the warnings a table row, `recvec tune` and the
/// publish gate show. A model is suspect when it ranks worse than popularity on the same cases,
/// when its lists cover under `minCoverage` of the catalogue, or when most of what it recommends
/// is items seen fewer than `rareCount` times in training (barely trained vectors ranking first).
public enum Guards {
    /// The least catalog coverage@K a method may reach before its row is flagged.
    public static let minCoverage = 0.05
    /// Items with fewer training events than this count as rare.
    public static let rareCount = 5
    /// The largest share of recommended slots rare items may take before a row is flagged.
    public static let maxRareShare = 0.5

    /// The manifest metric key under which the popularity baseline's recall on the same cases is
    /// stored beside a model's own ("popularity_recall@20"), for the publish gate.
    public static func popularityRecallKey(k: Int) -> String { "popularity_recall@\(k)" }

    /// The collapse checks on a version's stored metrics (the publish gate's): `recallKey`
    /// ("recall@20") below `popularity_recall@20`, or `coverage@20` under `minCoverage`. Metrics
    /// that are absent are not checked.
    public static func collapseReasons(metrics: [String: Double], recallKey: String) -> [String] {
        let suffix = recallKey.split(separator: "@").last.map { "@\($0)" } ?? ""
        var out: [String] = []
        if let recall = metrics[recallKey], let popularity = metrics["popularity_recall\(suffix)"], recall < popularity {
            out.append("\(recallKey) \(recall) is below the popularity baseline's \(popularity) on the same cases (a collapsed model; see the eval/tune warnings)")
        }
        if let coverage = metrics["coverage\(suffix)"], coverage < minCoverage {
            out.append("coverage\(suffix) \(coverage) is under \(minCoverage): the model recommends a tiny part of the catalogue")
        }
        return out
    }

    /// Share of recommended slots in `lists` that go to items with fewer than `rareCount` training
    /// events (`counts`).
    public static func rareShare(lists: [[Int32]], counts: [Int]) -> Double {
        var rare = 0, total = 0
        for list in lists {
            for id in list {
                total += 1
                if counts[Int(id)] < rareCount { rare += 1 }
            }
        }
        return total == 0 ? 0 : Double(rare) / Double(total)
    }

    /// Warnings for the model `method` (a table name: "Item2Vec", ...) whose `metrics` were measured
    /// on the same cases as `popularity`'s.
    public static func check(method: String, metrics: RankingMetrics, popularity: RankingMetrics) -> [String] {
        var out: [String] = []
        let k = metrics.k
        if metrics.recall < popularity.recall {
            out.append(String(format: "HR@%d %.4f is below popularity's %.4f: %@", k, metrics.recall, popularity.recall, cause(method)))
        }
        if metrics.coverage < minCoverage {
            out.append(String(format: "coverage@%d %.3f: the lists use under %.0f%% of the catalogue (collapse onto a few items): %@",
                              k, metrics.coverage, minCoverage * 100, cause(method)))
        }
        if metrics.rareShare > maxRareShare {
            out.append(String(format: "%.0f%% of the recommendations are items seen fewer than %d times in training (barely trained vectors rank first): %@",
                              metrics.rareShare * 100, rareCount, cause(method)))
        }
        return out
    }

    /// The likely cause and the knob to turn, by family.
    static func cause(_ method: String) -> String {
        switch method {
        case Method.item2vec.tableName:
            "SGNS with a heavy head: frequent items are subsampled away as centres yet drawn constantly as negatives, so their scores sink; lower SkipGramConfig.subsample (--subsample 0, or keep MethodConfigs.scaleSubsampleToCatalogue on), or let `recvec tune` pick it and a popularity prior"
        case Method.walks.tableName:
            "SGNS on walks with a heavy head: with dot scoring, subsampling drops the head as centres while it stays a frequent negative (lower GraphWalkConfig.sgns.subsample, --subsample 0); with cosine scoring the popularity the head needs is normalised away (try --scoring asymmetric-dot or a popularity prior); `recvec tune` searches both"
        case Method.ppmiSVD.tableName:
            "PMI divides popularity out; use asymmetric-dot scoring with the popularity bias or a popularity prior (`recvec tune` picks them)"
        case Method.content.tableName:
            "content alone does not predict behaviour here; use Fused or a behaviour family"
        case Method.fused.tableName:
            "the content block outweighs behaviour; lower FusionConfig.contentWeight"
        default:
            "check the method's configuration with `recvec tune`"
        }
    }
}
