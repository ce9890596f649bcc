import CMPI

/// An MPI call that returned an error code (only seen when the communicator's error handler returns instead of
/// aborting), or MPI used in a way this module does not support.
public struct MPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The MPI function.
    public var function: String
    /// Its return code, or -1 for a usage error.
    public var code: Int32
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(function: String, code: Int32, message: String) {
        self.function = function
        self.code = code
        self.message = message
    }

    /// A message for a person.
    public var description: String { "\(function) failed (code \(code)): \(message)" }

    /// Throws unless `code` is MPI_SUCCESS; the one place an MPI return code becomes an error.
    static func check(_ code: Int32, _ function: String) throws {
        guard code != melissa_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        _ = MPI_Error_string(code, &buffer, &length)
        let text = String(decoding: buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw MPIError(function: function, code: code, message: text)
    }
}
