import Foundation
@testable import RecVec
import TestSupport
import XCTest

/// Exports read back by numpy (system python3), when it is available.
final class StoreExportTests: XCTestCase {
    /// numpy reads each export; it writes what it read as one float32 .npy (ids as text) that
    /// this test compares bit for bit with the version.
    func testNumpyReadsEveryExportFormat() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let store = try EmbeddingStore(path: dir + "/store", create: true)
        var input = storeTestInput(rows: 13, dim: 7, seed: 5, index: nil)
        input.vectors.values[3] = 1e-30  // awkward values survive the text format too
        input.vectors.values[4] = -123456.78
        _ = try store.publish(input)
        let version = try store.open()
        let script = """
        import numpy as np, sys
        kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
        if kind == 'npy':
            m = np.load(path); ids = open(path + '.ids.txt').read().split('\\n')[:-1]
            assert m.dtype == np.float32, m.dtype
        else:
            data = open(path, 'rb').read()
            head, rest = data.split(b'\\n', 1)
            n, d = map(int, head.split())
            ids, rows = [], []
            if kind == 'word2vec-text':
                for line in rest.decode().split('\\n')[:n]:
                    f = line.split(' '); ids.append(f[0]); rows.append([np.float32(x) for x in f[1:]])
            else:
                pos = 0
                for _ in range(n):
                    space = rest.index(b' ', pos); ids.append(rest[pos:space].decode())
                    rows.append(np.frombuffer(rest[space + 1:space + 1 + 4 * d], dtype='<f4')); pos = space + 1 + 4 * d
                    assert rest[pos:pos + 1] == b'\\n'; pos += 1
            m = np.array(rows, dtype=np.float32).reshape(n, d)
        np.save(out, m); open(out + '.ids', 'w').write('\\n'.join(ids) + '\\n')
        """
        for format in ExportFormat.allCases {
            let path = dir + "/export-\(format.rawValue)"
            try version.export(to: path, format: format)
            guard let result = try runPython(script, arguments: [format.rawValue, path, dir + "/back.npy"]) else {
                throw XCTSkip("python3 with numpy not available")
            }
            XCTAssertEqual(result.status, 0, "\(format): \(result.output)")
            XCTAssertEqual(try NPY.read(path: dir + "/back.npy"), input.vectors, "\(format)")
            XCTAssertEqual(try ItemIDTable.read(path: dir + "/back.npy.ids"), input.ids, "\(format)")
        }
    }

    /// An export larger than the writer's 4 MB chunk: the pieces join into the same file.
    func testLargeBinaryExportSpansSeveralChunks() throws {
        let dir = try TestSupport.temporaryDirectory(self).path
        let store = try EmbeddingStore(path: dir + "/store", create: true)
        let input = storeTestInput(rows: 20000, dim: 64, seed: 8, index: nil)  // about 5.3 MB as word2vec binary
        _ = try store.publish(input)
        try store.open().export(to: dir + "/big.bin", format: .word2vecBinary)
        let script = """
        import numpy as np, sys
        data = open(sys.argv[1], 'rb').read()
        head, rest = data.split(b'\\n', 1)
        n, d = map(int, head.split())
        rows, pos = [], 0
        for _ in range(n):
            space = rest.index(b' ', pos)
            rows.append(np.frombuffer(rest[space + 1:space + 1 + 4 * d], dtype='<f4')); pos = space + 1 + 4 * d + 1
        assert pos == len(rest), (pos, len(rest))
        np.save(sys.argv[2], np.array(rows, dtype=np.float32))
        """
        guard let result = try runPython(script, arguments: [dir + "/big.bin", dir + "/back.npy"]) else {
            throw XCTSkip("python3 with numpy not available")
        }
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertGreaterThan(try FileManager.default.attributesOfItem(atPath: dir + "/big.bin")[.size] as! Int, 1 << 22)
        XCTAssertEqual(try NPY.read(path: dir + "/back.npy"), input.vectors)
    }
}
