import Foundation

/// A two-way map between external ids (strings as they appear in a file) and dense indices
/// `0 ..< count`, assigned in order of first appearance.
///
/// Decimal ids without a leading zero (the common case: MovieLens user and movie ids) are
/// looked up by their integer value, so a loader does not build a `String` per line; only
/// each distinct id is stored once as a string.
///
/// Ids are compared as bytes: "é" spelled precomposed (NFC) and decomposed (NFD) are two ids,
/// although Swift's `String ==` calls them equal. Loaders reject ids that are not valid UTF-8.
public struct IDMap: Equatable, Sendable {
    /// External id of each dense index.
    public private(set) var ids: [String] = []
    private var numeric: [Int64: Int32] = [:]
    /// Index of numeric id `n` for small `n` (-1: absent), looked up before `numeric`: ids like
    /// MovieLens' are a table lookup instead of a hash. At most `denseLimit` entries (16 MB).
    private var dense: [Int32] = []
    private static let denseLimit: Int64 = 1 << 22
    private var named: [ByteKey: Int32] = [:]

    /// Equal when both hold the same ids, byte for byte, in the same order.
    public static func == (a: IDMap, b: IDMap) -> Bool {
        a.ids.count == b.ids.count && zip(a.ids, b.ids).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    /// An empty map.
    public init() {}

    /// A map of the given ids, in order; throws on a duplicate.
    public init(ids: [String]) throws(DataError) {
        for (i, id) in ids.enumerated() {
            guard index(of: id) == nil else { throw .duplicateID(id: id, first: Int(index(of: id)!), second: i) }
            _ = insert(id)
        }
    }

    /// The identity map `"0" -> 0, "1" -> 1, ...` (synthetic data).
    public static func identity(count: Int) -> IDMap {
        var m = IDMap()
        m.ids.reserveCapacity(count)
        for i in 0 ..< count { _ = m.insert(number: Int64(i)) }
        return m
    }

    /// The number of distinct ids.
    public var count: Int { ids.count }

    /// The dense index of `id`, or nil when it is not in the map.
    public func index(of id: String) -> Int32? {
        if let n = IDMap.canonicalNumber(id.utf8) { return index(number: n) }
        return named[ByteKey(id)]
    }

    /// The dense index of `id`, adding it when new.
    @discardableResult
    public mutating func insert(_ id: String) -> Int32 {
        if let n = IDMap.canonicalNumber(id.utf8) { return insert(number: n) }
        if let i = named[ByteKey(id)] { return i }
        let i = Int32(ids.count)
        named[ByteKey(id)] = i
        ids.append(id)
        return i
    }

    /// The dense index of the id spelled by `bytes` (UTF-8), adding it when new; builds a
    /// string only for an id not seen before.
    @discardableResult
    public mutating func insert(bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let n = IDMap.canonicalNumber(bytes) { return insert(number: n) }
        return insert(String(decoding: bytes, as: UTF8.self))
    }

    /// The dense index of the id spelled by `bytes`, or nil when it is not in the map.
    public func index(bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        if let n = IDMap.canonicalNumber(bytes) { return index(number: n) }
        return named[ByteKey(String(decoding: bytes, as: UTF8.self))]
    }

    private mutating func insert(number n: Int64) -> Int32 {
        if n < dense.count, dense[Int(n)] >= 0 { return dense[Int(n)] }
        if let i = numeric[n] { return i }
        let i = Int32(ids.count)
        if n < Self.denseLimit {
            if n >= dense.count {
                let size = min(max(Int(n) + 1, dense.count * 2, 1024), Int(Self.denseLimit))
                // -1 is all 0xFF bytes: grown with memcpy + memset (fast in debug builds too).
                dense = [Int32](unsafeUninitializedCapacity: size) { buffer, initialized in
                    let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
                    dense.withUnsafeBytes { old in if old.count > 0 { raw.copyMemory(from: old.baseAddress!, byteCount: old.count) } }
                    memset(raw + dense.count * 4, 0xFF, (size - dense.count) * 4)
                    initialized = size
                }
            }
            dense[Int(n)] = i
        } else {
            numeric[n] = i
        }
        ids.append(String(n))
        return i
    }

    private func index(number n: Int64) -> Int32? {
        if n < dense.count, dense[Int(n)] >= 0 { return dense[Int(n)] }
        return numeric[n]
    }

    /// The integer an id spells when it is a canonical decimal (digits only, no leading zero
    /// unless it is "0", at most 18 digits), so that "7" and "007" stay different ids.
    static func canonicalNumber<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        guard let first = bytes.first, bytes.count <= 18, first != UInt8(ascii: "0") || bytes.count == 1 else { return nil }
        var n: Int64 = 0
        for b in bytes {
            guard b >= 48, b <= 57 else { return nil }
            n = n * 10 + Int64(b - 48)
        }
        return n
    }

    /// A map of the ids whose index `keep` accepts, re-numbered densely in the same order,
    /// and the old-to-new index table (-1 for dropped ids).
    public func compacted(keep: (Int32) -> Bool) -> (map: IDMap, newIndex: [Int32]) {
        var map = IDMap()
        var newIndex = [Int32](repeating: -1, count: count)
        for (i, id) in ids.enumerated() where keep(Int32(i)) { newIndex[i] = map.insert(id) }
        return (map, newIndex)
    }
}

/// A string hashed and compared by its UTF-8 bytes (no Unicode normalisation): the key of every
/// id lookup (`IDMap`, the store's `ItemIDTable`), so NFC and NFD spellings stay two ids.
struct ByteKey: Hashable, Sendable {
    var string: String
    init(_ string: String) { self.string = string }
    static func == (a: ByteKey, b: ByteKey) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
