import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import RecVec
@testable import RecVecServer
import TestSupport
import XCTest

/// A store with `versions` published versions of `rows` random vectors (ids `prefix0`...).
func makeStore(_ test: XCTestCase, rows: Int = 200, dim: Int = 16, versions: Int = 1, prefix: String = "item",
               index: HNSWConfig? = nil) throws -> (path: String, store: EmbeddingStore) {
    let dir = try TestSupport.temporaryDirectory(test).appendingPathComponent("store").path
    let store = try EmbeddingStore(path: dir, create: true)
    for v in 0 ..< versions { try publish(store, rows: rows, dim: dim, seed: UInt64(v + 1), prefix: prefix, index: index) }
    return (dir, store)
}

@discardableResult
func publish(_ store: EmbeddingStore, rows: Int = 200, dim: Int = 16, seed: UInt64, prefix: String = "item",
             index: HNSWConfig? = nil) throws -> String {
    var random = TestRandom(seed: seed)
    let vectors = try Matrix(rows: rows, cols: dim, values: random.floats(rows * dim))
    let input = PublishInput(vectors: vectors, ids: (0 ..< rows).map { "\(prefix)\($0)" }, method: "test",
                             configuration: ["seed": "\(seed)"], index: index)
    return try store.publish(input, threads: 1).version
}

/// An HNSW config whose search is exhaustive on the small test stores (ef >= rows).
func exhaustiveHNSW() -> HNSWConfig {
    var config = HNSWConfig()
    config.efSearch = 400
    return config
}

/// A server running in this process on an ephemeral loopback port.
final class RunningServer: @unchecked Sendable {
    let server: RecommendServer
    let task: Task<Void, any Error>
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }

    init(_ config: ServerConfig) async throws {
        var config = config
        config.port = 0
        config.pollInterval = .milliseconds(50)
        var logger = Logger(label: "recvec.serve.test") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let server = try RecommendServer(config: config, logger: logger)
        self.server = server
        task = Task { try await server.run() }
        let deadline = Date().addingTimeInterval(60)
        while server.port == nil {
            guard Date() < deadline else { throw ServerError.invalidOption(name: "port", value: "none", expected: "the server to listen within 60 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        port = server.port!
    }

    func stop() async throws {
        await server.shutdown()
        try await task.value
    }
}

struct HTTPReply {
    var status: Int
    var data: Data
    var headers: [String: String]

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: data, as: UTF8.self) }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
}

/// A plain URLSession call (no connection reuse surprises: one ephemeral session per client).
func http(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:],
          session: URLSession = URLSession(configuration: .ephemeral)) async throws -> HTTPReply {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let (data, response) = try await session.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
    return HTTPReply(status: http.statusCode, data: data, headers: fields)
}

func jsonString(_ object: Any) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// A raw TCP connection to loopback, for what an HTTP client library will not do: send half a
/// body and stall.
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything until the peer closes or the read times out.
    func readAll() -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0 ..< n]
            if let text = String(bytes: out, encoding: .utf8), text.contains("\r\n\r\n"),
               let length = contentLength(text), text.utf8.count >= headerLength(text) + length { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func headerLength(_ text: String) -> Int { text.components(separatedBy: "\r\n\r\n")[0].utf8.count + 4 }

    private func contentLength(_ text: String) -> Int? {
        for line in text.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}

/// The `recvec` binary that `swift test` built beside the test bundle.
func recvecBinary() -> URL {
    let bundle = Bundle(for: RunningServer.self).bundleURL
    return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("recvec") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("recvec")
}
