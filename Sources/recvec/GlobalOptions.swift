import ArgumentParser
import RecVec

// The execution options, in pieces: each command takes only the ones it uses.

/// `--seed`: for commands that draw random numbers (sampling, initialisation, HNSW levels, workloads).
struct SeedOption: ParsableArguments {
    @Option(help: "Seed of every random choice; the same seed and --threads 1 give the same result.")
    var seed: UInt64 = 42
}

/// `--threads`: for commands that run the C kernels.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for the C kernels (0 = all cores).")
    var threads: Int = 0

    func validate() throws {
        guard threads >= 0 && threads <= Kernels.threadLimit else {
            throw ValidationError("--threads must be 0 (all cores) or a count up to \(Kernels.threadLimit), got \(threads)")
        }
    }
}

/// `--json`: for commands that print a result.
struct JSONOption: ParsableArguments {
    @Flag(help: "Print results as JSON on stdout (progress stays on stderr).")
    var json = false
}

/// Seed, threads and JSON together: the commands that train, evaluate or generate.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var seedOption: SeedOption
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var jsonOption: JSONOption

    var seed: UInt64 { seedOption.seed }
    var threads: Int { threadsOption.threads }
    var json: Bool { jsonOption.json }
}

// Closed sets the commands take, as enums, so `--help` lists them and the parser rejects others.

/// `--protocol` of `train`, `eval` and `tune`.
enum HoldOutChoice: String, ExpressibleByArgument, CaseIterable {
    case leaveLastOut = "leave-last-out", timeCutoff = "time-cutoff"
}

/// `--dataset` of `train` and `eval`: a built-in source when no events file is given.
enum DatasetChoice: String, ExpressibleByArgument, CaseIterable {
    case movielens, synthetic
}

/// `--protocol` of `table`.
enum TableProtocolChoice: String, ExpressibleByArgument, CaseIterable {
    case seedPairs = "seed-pairs", leaveLastOut = "leave-last-out", all
}

/// `--index` of `publish`: an HNSW graph, or none for exact search.
enum IndexKind: String, ExpressibleByArgument, CaseIterable {
    case hnsw, none
}

extension Metric: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

/// A comma-separated list of methods (`--methods`), each checked against `Method`; `allowed`
/// narrows the set (tune's families). The error names the bad entry and the choices.
func methodList(_ flag: String, allowed: [Method] = Method.allCases) -> (String) throws -> [Method] {
    { text in
        try text.split(separator: ",").map {
            let name = $0.trimmingCharacters(in: .whitespaces)
            guard let m = Method(rawValue: name), allowed.contains(m) else {
                throw ValidationError("\(flag): '\(name)' is not one of \(allowed.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        }
    }
}
