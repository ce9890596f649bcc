// CMPI: the MPI C interface (OpenMPI 4.1, Debian's libopenmpi-dev, found through pkg-config `ompi-c`).
//
// OpenMPI defines its predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) and MPI_IN_PLACE as C macros
// that expand to addresses of internal globals; Swift cannot import such macros. Each one used by melissa is
// exposed here through a `static inline` function prefixed `melissa_mpi_`. Nothing else lives in this file.
#ifndef MELISSA_CMPI_SHIM_H
#define MELISSA_CMPI_SHIM_H

#include <mpi.h>

/// The communicator of every process started together (MPI_COMM_WORLD).
static inline MPI_Comm melissa_mpi_comm_world(void) { return MPI_COMM_WORLD; }

/// The null communicator (MPI_COMM_NULL).
static inline MPI_Comm melissa_mpi_comm_null(void) { return MPI_COMM_NULL; }

/// The datatype of a C float (MPI_FLOAT).
static inline MPI_Datatype melissa_mpi_float(void) { return MPI_FLOAT; }

/// The datatype of a C double (MPI_DOUBLE).
static inline MPI_Datatype melissa_mpi_double(void) { return MPI_DOUBLE; }

/// The datatype of a C int (MPI_INT).
static inline MPI_Datatype melissa_mpi_int(void) { return MPI_INT; }

/// The datatype of raw bytes (MPI_BYTE).
static inline MPI_Datatype melissa_mpi_byte(void) { return MPI_BYTE; }

/// The datatype of a C long long (MPI_LONG_LONG).
static inline MPI_Datatype melissa_mpi_long_long(void) { return MPI_LONG_LONG; }

/// The sum reduction (MPI_SUM).
static inline MPI_Op melissa_mpi_sum(void) { return MPI_SUM; }

/// The maximum reduction (MPI_MAX).
static inline MPI_Op melissa_mpi_max(void) { return MPI_MAX; }

/// The minimum reduction (MPI_MIN).
static inline MPI_Op melissa_mpi_min(void) { return MPI_MIN; }

/// The "send buffer is the receive buffer" marker of in-place collectives (MPI_IN_PLACE).
static inline void *melissa_mpi_in_place(void) { return MPI_IN_PLACE; }

/// The success return code (MPI_SUCCESS).
static inline int melissa_mpi_success(void) { return MPI_SUCCESS; }

/// The thread-support level "one thread only" (MPI_THREAD_SINGLE).
static inline int melissa_mpi_thread_single(void) { return MPI_THREAD_SINGLE; }

/// The thread-support level "only the thread that initialised MPI calls it" (MPI_THREAD_FUNNELED).
static inline int melissa_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

/// The thread-support level "any thread, one at a time" (MPI_THREAD_SERIALIZED).
static inline int melissa_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }

/// The thread-support level "any thread, concurrently" (MPI_THREAD_MULTIPLE).
static inline int melissa_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

/// Whether MPI_Init (or MPI_Init_thread) has been called; 0 if not.
static inline int melissa_mpi_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}

/// Whether MPI_Finalize has been called; 0 if not.
static inline int melissa_mpi_finalized(void) {
    int flag = 0;
    MPI_Finalized(&flag);
    return flag;
}

#endif
