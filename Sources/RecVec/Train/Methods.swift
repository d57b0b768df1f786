import Foundation

/// The embedding families `recvec train`, `eval` and `table` run.
public enum Method: String, CaseIterable, Sendable, Codable {
    case ppmiSVD = "ppmi-svd"
    case item2vec
    case walks
    /// Content only ("Multimodal" in the table): the normalised content modalities concatenated.
    case content
    /// Behaviour (`MethodConfigs.fusionBase`) and content, weighted and concatenated.
    case fused

    /// Whether the method reads content modalities (`content`, `fused`); the others see behaviour only.
    public var needsContent: Bool { self == .content || self == .fused }

    /// The row label of the seed's table.
    public var tableName: String {
        switch self {
        case .ppmiSVD: "PPMI+SVD"
        case .item2vec: "Item2Vec"
        case .walks: "Graph-walk"
        case .content: "Multimodal"
        case .fused: "Fused"
        }
    }
}

/// Which vectors a query and an item use, and how they score.
public enum RetrievalScoring: String, Sendable, Codable {
    /// One matrix for both sides, cosine (the seed's choice for every method).
    case cosine
    /// Query-side and item-side vectors differ (PPMI+SVD: `U S^p` and `V S^p`; SGNS: input and
    /// output vectors), scored by dot product, so the score approximates the factorised matrix
    /// entry (PMI for SVD, the SGNS logit) rather than an angle.
    case asymmetricDot = "asymmetric-dot"
}

/// Every family's settings, and the scoring used for each at retrieval: what determines the
/// vectors and nothing else (threads are an argument of `Methods.train`).
public struct MethodConfigs: Equatable, Sendable {
    /// PPMI+SVD's settings.
    public var ppmiSVD = PPMISVDConfig()
    /// How PPMI+SVD's vectors score at retrieval (`U·U` cosine or `U·V` dot).
    public var ppmiScoring = RetrievalScoring.cosine
    /// With `asymmetricDot`: append a coordinate so that the dot product adds
    /// `log P_alpha(item)`, turning PMI(query, item) into log P(item | query) (up to a per-query
    /// constant): the popularity that PMI divides out is what next-item prediction needs back.
    public var ppmiPopularityBias = false
    /// Item2Vec's SGNS settings.
    public var item2vec = SkipGramConfig()
    /// How Item2Vec's vectors score (input·input cosine or input·output dot).
    public var item2vecScoring = RetrievalScoring.cosine
    /// Graph walks' settings (graph, walks, SGNS).
    public var walks = GraphWalkConfig()
    /// How the walk vectors score (input·input cosine or input·output dot).
    public var walksScoring = RetrievalScoring.cosine
    /// How `fused` weighs behaviour against content.
    public var fusion = FusionConfig()
    /// The behaviour vectors `fused` builds on.
    public var fusionBase = Method.ppmiSVD
    /// Item2Vec trains with a subsampling threshold of at least `10 / catalogue size`, so only
    /// items holding over ten times the mean share are thinned. word2vec's 1e-3 was set for
    /// vocabularies of 10^5-10^6 words; on a catalogue of 60 items every item is above it, the few
    /// head items are dropped as centres yet drawn constantly as negatives, and Item2Vec collapses
    /// below popularity (HR@20 0.064 against 0.759; 0.863 scaled; see README "Guards"). Graph
    /// walks keep their threshold: walk visits follow graph degree, and on that log scaling
    /// helped dot-scored walks but hurt cosine-scored ones, so `recvec tune` chooses. Off:
    /// `subsample` as set.
    public var scaleSubsampleToCatalogue = true

    /// The subsampling threshold SGNS uses on a catalogue of `items` (see `scaleSubsampleToCatalogue`).
    public func effectiveSubsample(_ configured: Double, items: Int) -> Double {
        guard scaleSubsampleToCatalogue, configured > 0, items > 0 else { return configured }
        return max(configured, 10 / Double(items))
    }

    /// Every family's own defaults (see `seed(seed:)` and `tuned(seed:)` for the presets).
    public init() {}

    /// A reconstruction of the seed's hyperparameters (the seed's code is lost): d = 32, window 5,
    /// PPMI with 0.75 smoothing and no shift, U S^0.5; SGNS with 5 epochs, 5 negatives, noise
    /// exponent 0.75, subsampling 1e-3, learning rate 0.025; walks 10 per node of length 40 on
    /// the top-20 co-occurrence graph; fusion weights 1:1; cosine everywhere.
    public static func seed(seed: UInt64 = 1) -> MethodConfigs {
        var c = MethodConfigs()
        c.ppmiSVD.dimension = 32
        c.ppmiSVD.window = 5
        c.ppmiSVD.eigenvalueExponent = 0.5
        var sgns = SkipGramConfig()
        sgns.dimension = 32
        sgns.window = 5
        sgns.epochs = 5
        sgns.negatives = 5
        c.item2vec = sgns
        c.walks.sgns = sgns
        c.walks.walks = WalkConfig(walksPerNode: 10, walkLength: 40)
        c.walks.neighbours = 20
        c.fusion.behaviourWeight = 1
        c.scaleSubsampleToCatalogue = false // the seed's 1e-3 as it was
        return c.with(seed: seed)
    }

    /// Our tuned defaults for next-item retrieval (see README "Tuned defaults").
    public static func tuned(seed: UInt64 = 1) -> MethodConfigs {
        var c = MethodConfigs.seed()
        c.scaleSubsampleToCatalogue = true
        c.ppmiSVD.window = 19
        c.ppmiScoring = .asymmetricDot
        c.item2vecScoring = .asymmetricDot
        c.walksScoring = .cosine // walk co-visitation is symmetric; its output vectors add nothing here (measured)
        return c.with(seed: seed)
    }

    /// `tuned` for MovieLens leave-last-out (measured on ml-100k): the log-popularity term and
    /// dot-scored walk vectors help there (HR@20 0.263 vs 0.239, 0.250 vs 0.139), while on the
    /// synthetic workload, whose user vectors average 50 items, both hurt.
    public static func tunedMovieLens(seed: UInt64 = 1) -> MethodConfigs {
        var c = MethodConfigs.tuned(seed: seed)
        c.ppmiPopularityBias = true
        c.walksScoring = .asymmetricDot
        return c
    }

    /// The same settings with every family's seed replaced.
    public func with(seed: UInt64) -> MethodConfigs {
        var c = self
        c.ppmiSVD.seed = seed
        c.item2vec.seed = seed
        c.walks.sgns.seed = seed
        return c
    }
}

/// What a trained method hands to evaluation, serving and `train --out`.
public struct TrainedMethod: Sendable {
    /// The family trained.
    public var method: Method
    /// Its vectors and how they score.
    public var retrieval: Retrieval
    /// Wall-clock seconds training took.
    public var seconds: Double
}

/// Trains any family by name (`Method`) and turns its vectors into a `Retrieval`.
public enum Methods {
    /// Trains `method` on `corpus`.
    /// - Parameters:
    ///   - method: the family to train.
    ///   - corpus: the training sessions (dense item indices).
    ///   - configs: every family's hyperparameters; `method`'s own are used (and `fusionBase`'s for `fused`).
    ///   - content: content modalities (rows = items of `corpus`); needed by `content` and `fused`.
    ///   - cold: items without events in `corpus` whose behaviour vectors `fused` places from content.
    ///   - threads: threads of every stage (0 = all); an execution option, not part of `configs`.
    ///   - base: an already trained `fusionBase` to fuse with (otherwise it is trained here).
    ///   - progress: a line per stage or epoch.
    public static func train(_ method: Method, corpus: Corpus, content: [ContentModality], cold: Set<Int> = [],
                             configs: MethodConfigs, threads: Int = 0, base: TrainedMethod? = nil,
                             progress: ((String) -> Void)? = nil) throws -> TrainedMethod {
        let start = Date()
        let retrieval: Retrieval
        switch method {
        case .ppmiSVD:
            let svd = try PPMISVD.factorize(corpus, config: configs.ppmiSVD, threads: threads, progress: progress)
            retrieval = ppmiRetrieval(svd, configs: configs, itemCounts: corpus.counts)
        case .item2vec:
            var sgns = configs.item2vec
            sgns.subsample = configs.effectiveSubsample(sgns.subsample, items: corpus.vocabularySize)
            let model = try Item2Vec.train(corpus, config: sgns, threads: threads) { epoch, loss in
                progress?("item2vec: epoch \(epoch + 1)/\(configs.item2vec.epochs), loss \(String(format: "%.4f", loss))")
            }
            retrieval = sgnsRetrieval(model, configs.item2vecScoring)
        case .walks:
            let model = try GraphWalks.train(corpus, config: configs.walks, threads: threads) { pass, tokens, planned in
                progress?("walks: pass \(pass + 1)/\(configs.walks.sgns.epochs), \(tokens)/\(planned) tokens")
            }
            retrieval = sgnsRetrieval(model, configs.walksScoring)
        case .content:
            let vectors = try ContentFusion.multimodal(content, weights: configs.fusion.contentWeights, threads: threads)
            retrieval = Retrieval(queryVectors: vectors, itemVectors: vectors, metric: .cosine, label: "cosine content")
        case .fused:
            let behaviour = try base ?? train(configs.fusionBase, corpus: corpus, content: content, cold: cold, configs: configs,
                                                 threads: threads, progress: progress)
            let r = behaviour.retrieval
            let query = try ContentFusion.fuse(behaviour: r.queryVectors, modalities: content, cold: cold, config: configs.fusion,
                                               normalizeBehaviour: r.metric == .cosine, threads: threads)
            let item = try ContentFusion.fuse(behaviour: r.itemVectors, modalities: content, cold: cold, config: configs.fusion,
                                              normalizeBehaviour: r.metric == .cosine, threads: threads)
            // A dot-scored base keeps its scale (its norms carry popularity); the unit content block
            // then adds contentWeight² x the content cosine to its score.
            retrieval = Retrieval(queryVectors: query, itemVectors: item, metric: r.metric,
                                  label: "\(r.metric.rawValue) [\(configs.fusion.behaviourWeight) × \(configs.fusionBase.rawValue) (\(r.label)), \(configs.fusion.contentWeight) × content]")
        }
        return TrainedMethod(method: method, retrieval: retrieval, seconds: Date().timeIntervalSince(start))
    }

    /// PPMI+SVD's vectors under `configs.ppmiScoring`; `itemCounts` (occurrences per item) is
    /// called only for the popularity bias.
    static func ppmiRetrieval(_ svd: TruncatedSVD, configs: MethodConfigs, itemCounts: () throws -> [Int]) rethrows -> Retrieval {
        let p = configs.ppmiSVD.eigenvalueExponent
        switch configs.ppmiScoring {
        case .cosine:
            return Retrieval(queryVectors: svd.rowEmbedding(exponent: p), itemVectors: svd.rowEmbedding(exponent: p),
                             metric: .cosine, label: "cosine U·U")
        case .asymmetricDot:
            var query = svd.rowEmbedding(exponent: p), item = svd.columnEmbedding(exponent: p)
            var label = "dot U·V"
            if configs.ppmiPopularityBias {
                let alpha = configs.ppmiSVD.ppmi.contextSmoothing
                let smoothed = try itemCounts().map { Foundation.pow(Double(max($0, 1)), alpha) }
                let total = smoothed.reduce(0, +)
                query = query.appendingColumn { _ in 1 }
                item = item.appendingColumn { Float(Foundation.log(smoothed[$0] / total)) }
                label += " + log popularity"
            }
            return Retrieval(queryVectors: query, itemVectors: item, metric: .dot, label: label)
        }
    }

    static func sgnsRetrieval(_ model: SkipGramModel, _ scoring: RetrievalScoring) -> Retrieval {
        switch scoring {
        case .cosine: Retrieval(queryVectors: model.input, itemVectors: model.input, metric: .cosine, label: "cosine input·input")
        case .asymmetricDot: Retrieval(queryVectors: model.input, itemVectors: model.output, metric: .dot, label: "dot input·output")
        }
    }
}

extension Matrix {
    /// A copy with one more column, `value(row)` in each row.
    func appendingColumn(_ value: (Int) -> Float) -> Matrix {
        var out = Matrix(rows: rows, cols: cols + 1)
        for r in 0 ..< rows {
            for c in 0 ..< cols { out[r, c] = self[r, c] }
            out[r, cols] = value(r)
        }
        return out
    }
}
