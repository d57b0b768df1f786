import Foundation

/// What one run of `recvec pipeline` did, recorded in the manifest of the version it published.
package struct RunReport: Codable, Equatable, Sendable {
    /// One input file: where it was, its size and XXH64 of its bytes.
    package struct InputFile: Codable, Equatable, Sendable {
        public var path: String
        public var bytes: Int
        public var xxh64: String
        public init(path: String, bytes: Int, xxh64: String) {
            self.path = path
            self.bytes = bytes
            self.xxh64 = xxh64
        }
    }

    public var inputs: [InputFile]
    /// The configuration the run was given, flattened to key = value.
    public var config: [String: String]
    public var metrics: [String: Double]
    /// Wall seconds per stage (load, split, train, evaluate, gate+publish), in run order.
    public var stages: [Stage]
    public var threads: Int

    package struct Stage: Codable, Equatable, Sendable {
        public var name: String
        public var seconds: Double
        public init(name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    public init(inputs: [InputFile], config: [String: String], metrics: [String: Double], stages: [Stage], threads: Int) {
        self.inputs = inputs
        self.config = config
        self.metrics = metrics
        self.stages = stages
        self.threads = threads
    }
}
