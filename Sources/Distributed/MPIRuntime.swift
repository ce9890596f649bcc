import CMPI
import Foundation

/// The process's MPI library: initialised once with MPI_Init_thread, finalised once.
///
/// MPI allows one initialisation per process. When the level granted is below ``MPIThreadLevel/multiple``, every MPI
/// call must come from the thread that initialised it: ``MPICommunicator`` checks this on each call, so the training
/// loop (and only it) drives MPI from one dedicated thread.
public final class MPIRuntime {
    /// The thread support MPI granted.
    public let threadLevel: MPIThreadLevel
    /// This process's rank in MPI_COMM_WORLD.
    public let rank: Int
    /// The number of processes in MPI_COMM_WORLD.
    public let size: Int
    private let initializingThread: pthread_t
    private var finalized = false

    /// Initialises MPI asking for `requested` thread support (the granted level may be lower: see ``threadLevel``).
    public init(requesting requested: MPIThreadLevel = .funneled) throws {
        guard melissa_mpi_initialized() == 0 else {
            throw MPIError(function: "MPI_Init_thread", code: -1, message: "MPI is already initialised")
        }
        var provided: Int32 = 0
        try MPIError.check(MPI_Init_thread(nil, nil, requested.code, &provided), "MPI_Init_thread")
        threadLevel = MPIThreadLevel(code: provided)
        initializingThread = pthread_self()
        var rank: Int32 = 0
        var size: Int32 = 0
        try MPIError.check(MPI_Comm_rank(melissa_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(melissa_mpi_comm_world(), &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Whether the calling thread may call MPI now (any thread under MPI_THREAD_MULTIPLE or SERIALIZED, otherwise
    /// only the thread that initialised MPI).
    public var callingThreadMayUseMPI: Bool {
        threadLevel >= .serialized || pthread_equal(pthread_self(), initializingThread) != 0
    }

    /// A communicator over every process (MPI_COMM_WORLD) for a data-parallel trainer.
    public func worldCommunicator() -> MPICommunicator { MPICommunicator(runtime: self) }

    /// Waits until every rank arrives.
    public func barrier() throws {
        try MPIError.check(MPI_Barrier(melissa_mpi_comm_world()), "MPI_Barrier")
    }

    /// Ends every rank of the job with `code` (MPI_Abort): a rank that cannot go on must not leave the others waiting
    /// in a collective.
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(melissa_mpi_comm_world(), code)
        exit(code)
    }

    /// Finalises MPI (after the last MPI call; further calls are errors). Safe to call twice.
    public func finalize() throws {
        guard !finalized else { return }
        finalized = true
        try MPIError.check(MPI_Finalize(), "MPI_Finalize")
    }
}
