import ArgumentParser
import RecVec

@main
struct RecVecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recvec", abstract: "Train, store and serve embeddings for recommender systems.",
                                                    subcommands: [TrainCommand.self, EvalCommand.self, TableCommand.self])
}
