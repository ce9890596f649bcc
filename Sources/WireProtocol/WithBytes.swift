/// Runs a typed-throwing decoder over an array's bytes (`Array.withUnsafeBytes` only rethrows `any Error`).
@inline(__always)
func withBytes<T>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(DecodeError) -> T
) throws(DecodeError) -> T {
    let result = bytes.withUnsafeBytes { buffer -> Result<T, DecodeError> in
        do throws(DecodeError) { return .success(try body(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}
