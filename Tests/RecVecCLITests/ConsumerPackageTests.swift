import Foundation
import TestSupport
import XCTest

/// RecVec must work as a drop-in backend: a package that depends on it pinned by version
/// (`.package(url:from:)`) resolves, builds and runs the threaded kernels. SwiftPM refuses such a
/// dependency when any target uses unsafeFlags, so this test also guards that rule.
final class ConsumerPackageTests: XCTestCase {
    func testExampleConsumerBuildsAgainstATaggedVersion() throws {
        let root = TestSupport.repositoryRoot
        let work = try TestSupport.temporaryDirectory(self)
        let clone = work.appendingPathComponent("recvec")
        try run("/usr/bin/env", ["git", "clone", "--quiet", root.path, clone.path])
        try run("/usr/bin/env", ["git", "-C", clone.path, "tag", "0.1.0"])

        let consumer = work.appendingPathComponent("consumer")
        try FileManager.default.copyItem(at: root.appendingPathComponent("Examples/consumer"), to: consumer)
        let environment = ["RECVEC_PACKAGE_URL": clone.absoluteString]
        try run("/usr/bin/env", ["swift", "build", "--package-path", consumer.path,
                                 "--scratch-path", work.appendingPathComponent("build").path], environment: environment)
        let output = try run(work.appendingPathComponent("build/debug/consumer").path, [], environment: environment)
        XCTAssertTrue(output.contains("query 0: [0,"), output)
        XCTAssertEqual(output.split(separator: "\n").filter { $0.hasPrefix("query") }.count, 3, output)

        // Depending on the RecVec library product builds no server dependency: the HTTP service
        // (RecVecServer, Hummingbird, SwiftNIO, service-lifecycle, Prometheus) is the executable's only.
        let built = try builtModuleNames(in: work.appendingPathComponent("build/debug"))
        XCTAssertTrue(built.contains("RecVec"), "the check must see the modules it looks for: \(built.sorted())")
        let server = built.filter { name in ["RecVecServer", "Hummingbird", "NIO", "ServiceLifecycle", "Prometheus", "UnixSignals"]
            .contains { name.hasPrefix($0) || name.hasPrefix("_" + $0) } }
        XCTAssertEqual(server, [], "the consumer built server modules: \(server.sorted())")
    }

    /// Modules a build compiled: `Modules/X.swiftmodule`, and `X.build` folders holding an object
    /// file (SwiftPM creates an empty `X.build` for every target of the graph, built or not).
    private func builtModuleNames(in folder: URL) throws -> Set<String> {
        let fm = FileManager.default
        let root = folder.resolvingSymlinksInPath()
        var names: Set<String> = []
        for entry in (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("Modules").path)) ?? [] where entry.hasSuffix(".swiftmodule") {
            names.insert(String(entry.dropLast(".swiftmodule".count)))
        }
        for entry in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] where entry.hasSuffix(".build") {
            let objects = fm.enumerator(atPath: root.appendingPathComponent(entry).path)?.contains { ($0 as? String)?.hasSuffix(".o") == true }
            if objects == true { names.insert(String(entry.dropLast(".build".count))) }
        }
        return names
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let (status, text) = try TestSupport.runProcess(executable, arguments, environment: environment)
        guard status == 0 else {
            XCTFail("\(executable) \(arguments.joined(separator: " ")) exited \(status):\n\(text)")
            throw CocoaError(.executableLoad)
        }
        return text
    }
}
