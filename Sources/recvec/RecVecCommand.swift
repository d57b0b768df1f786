import ArgumentParser
import RecVec

@main
struct RecVecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recvec",
        abstract: "Train, store and serve embeddings for recommender systems.",
        subcommands: [
            // offline
            GenerateCommand.self, InspectCommand.self, TrainCommand.self, EvalCommand.self, TableCommand.self, TuneCommand.self, PipelineCommand.self,
            // the per-partition steps of the Spark jobs (spark/) and their single-machine twins
            CorpusCommand.self, CorpusShardCommand.self, CoocShardCommand.self, MergeCountsCommand.self, BatchRecommendCommand.self,
            // storage and online
            Publish.self, Versions.self, Rollback.self, GC.self, Recommend.self, DriftCommand.self, Export.self,
            ServeHTTP.self,
        ])
}
