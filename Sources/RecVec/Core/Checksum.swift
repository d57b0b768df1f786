import CKernels

/// XXH64, the checksum of every file in a store (and of the index file).
/// The corresponding C function is `rv_checksum64`.
package enum XXH64 {
    /// XXH64 of `bytes` with `seed`. To cover pieces that are not contiguous, seed each call
    /// with the previous result.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        rv_checksum64(bytes.baseAddress, bytes.count, seed)
    }

    /// XXH64 of the bytes of an array, with `seed`; the same value as the buffer overload.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 { bytes.withUnsafeBytes { hash($0, seed: seed) } }
}
