import Foundation

/// What one run of `recvec pipeline` did, recorded in the manifest of the version it published.
package struct RunReport: Codable, Equatable, Sendable {
    /// One input file: where it was, its size and XXH64 of its bytes.
    package struct InputFile: Codable, Equatable, Sendable {
        /// The path as given in the config.
        public var path: String
        /// Size in bytes.
        public var bytes: Int
        /// XXH64 of the file's bytes, hex.
        public var xxh64: String
        /// Records one input.
        public init(path: String, bytes: Int, xxh64: String) {
            self.path = path
            self.bytes = bytes
            self.xxh64 = xxh64
        }
    }

    /// Every input file the run read (events, content).
    public var inputs: [InputFile]
    /// The configuration the run was given, flattened to key = value.
    public var config: [String: String]
    /// The evaluation metrics of the published model ("recall@20", ...).
    public var metrics: [String: Double]
    /// Wall seconds per stage (load, split, train, evaluate, gate+publish), in run order.
    public var stages: [Stage]
    /// Threads the run used.
    public var threads: Int

    /// One stage of the run and how long it took.
    package struct Stage: Codable, Equatable, Sendable {
        /// The stage; `recvec pipeline` records "load", "split", "train", "evaluate" and
        /// "index+gate+publish".
        public var name: String
        /// Wall-clock seconds.
        public var seconds: Double
        /// Records one stage.
        public init(name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    /// Records a whole run; the fields are stored as given.
    public init(inputs: [InputFile], config: [String: String], metrics: [String: Double], stages: [Stage], threads: Int) {
        self.inputs = inputs
        self.config = config
        self.metrics = metrics
        self.stages = stages
        self.threads = threads
    }
}
