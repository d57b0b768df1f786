import Foundation

extension HoldOut {
    /// Throws unless the protocol can run on `log`: a time cutoff needs real times
    /// (`DataError.noTimestamps`) and must leave at least one event before it (training) and one
    /// at or after it (test); the error names the cutoff and the log's time range.
    public func check(against log: EventLog) throws(DataError) {
        guard case let .timeCutoff(cutoff) = self else { return }
        try log.requireTimestamps(for: "the time-cutoff protocol")
        guard let first = log.timestamps.min(), let last = log.timestamps.max() else {
            throw .invalidArgument(name: "log", value: "empty", expected: "at least one event")
        }
        func date(_ t: Int64) -> String { "\(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t)))) (\(t))" }
        let range = "the log runs from \(date(first)) to \(date(last))"
        if cutoff <= first {
            throw .invalidArgument(name: "cutoff", value: date(cutoff), expected: "a time after the first event, so that some events train: \(range)")
        }
        if cutoff > last {
            throw .invalidArgument(name: "cutoff", value: date(cutoff), expected: "a time at or before the last event, so that some events are tested: \(range)")
        }
    }
}
