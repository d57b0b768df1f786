import ArgumentParser
import RecVec

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Seed of every random choice; the same seed and --threads 1 give the same result.")
    var seed: UInt64 = 42

    @Option(help: "Threads for the C kernels (0 = all cores).")
    var threads: Int = 0

    @Flag(help: "Print results as JSON on stdout (progress stays on stderr).")
    var json = false

    func validate() throws {
        guard threads >= 0 && threads <= Kernels.threadLimit else {
            throw ValidationError("--threads must be 0 (all cores) or a count up to \(Kernels.threadLimit), got \(threads)")
        }
    }
}
