import Foundation
import RecVec

// kbench: every C kernel against its plain-Swift twin, then the peers' script compares against
// faiss, gensim and scipy on the inputs written with --write-inputs.
let bench = Bench(options: BenchOptions.parse(Array(CommandLine.arguments.dropFirst())))
bench.header()

// One entry per kernel family: (name, suite). Each suite records a "swift" row, then "c" rows
// at 1 thread and at all threads, for every size it supports.
let suites: [(String, (Bench) throws -> Void)] = [
    ("score_topk+normalize", scoreSuite),
    ("cooc", coocBench),
    ("sgns", sgnsBench),
]
for (name, suite) in suites where bench.options.wants(kernel: name) {
    try suite(bench)
}
