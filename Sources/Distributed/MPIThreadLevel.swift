import CMPI

/// How many threads may call MPI, from MPI_THREAD_SINGLE to MPI_THREAD_MULTIPLE.
public enum MPIThreadLevel: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// One thread only.
    case single
    /// Only the thread that initialised MPI calls it.
    case funneled
    /// Any thread, one at a time.
    case serialized
    /// Any thread, concurrently.
    case multiple

    /// The MPI constant.
    var code: Int32 {
        switch self {
        case .single: melissa_mpi_thread_single()
        case .funneled: melissa_mpi_thread_funneled()
        case .serialized: melissa_mpi_thread_serialized()
        case .multiple: melissa_mpi_thread_multiple()
        }
    }

    /// The level of an MPI constant (the lowest level for an unknown one).
    init(code: Int32) {
        self = Self.allCases.first { $0.code == code } ?? .single
    }

    /// Orders by the threading allowed.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The MPI name.
    public var description: String {
        switch self {
        case .single: "MPI_THREAD_SINGLE"
        case .funneled: "MPI_THREAD_FUNNELED"
        case .serialized: "MPI_THREAD_SERIALIZED"
        case .multiple: "MPI_THREAD_MULTIPLE"
        }
    }
}
