/*
 * melissa client library: what a simulation links to stream its fields to the
 * melissa training server (wire protocol: docs/protocol.md, version 1; guide:
 * docs/client-api.md).
 *
 *     #include <melissa/client.h>       cc -I include ... -L build/lib -lmelissa_client
 *
 *     MPI_Init(&argc, &argv);
 *     melissa_init("temperature", local_size, MPI_COMM_WORLD);   // once per field
 *     for (t = 0; t < steps; t++) {
 *         solve(u);
 *         melissa_send("temperature", u);                        // every field, every step
 *     }
 *     melissa_finalize();
 *     MPI_Finalize();
 *
 * Every function returns 0 (MELISSA_OK) or a melissa_status code; the message
 * of the last failure is melissa_last_error(). A non-zero status never aborts
 * the program: the simulation decides (most abort, so that the launcher
 * restarts them).
 *
 * Environment (set by the scripts `melissa plan` generates, docs/plan-format.md;
 * read on rank 0 only, at registration):
 *   MELISSA_SERVER_ADDRESS_FILE  the server's address file (JSON; default
 *                                $MELISSA_STUDY_DIR/server.address)
 *   MELISSA_TOKEN_FILE           the study token file, 64 hex characters
 *                                (default $MELISSA_STUDY_DIR/token)
 *   MELISSA_SIMULATION_ID        this simulation's id (required)
 *   MELISSA_ATTEMPT              restart count (default 0)
 *   MELISSA_TIME_STEPS           time steps the simulation sends (required unless
 *                                melissa_set_time_steps was called)
 *   MELISSA_CONNECT_TIMEOUT      seconds to wait for the address file, and again
 *                                for the server's answer to the registration
 *                                (default 300)
 *   MELISSA_SEND_TIMEOUT         seconds one send may block on back-pressure
 *                                (full queues) before failing (default 300)
 *   MELISSA_LINGER               seconds melissa_finalize waits for queued data
 *                                to leave the process (default 300)
 *   MELISSA_SEND_BUFFER_MIB      about how much data (MiB) a rank queues before a
 *                                send blocks: the per-endpoint high-water mark is
 *                                this / (largest chunk × endpoints), 4 to 1000
 *                                messages (default 256)
 *   MELISSA_SEND_HWM             messages queued per data endpoint before a send
 *                                blocks, instead of the above
 *   MELISSA_OFFLINE_DIR          offline mode when set and non-empty (below)
 *
 * Registration is lazy: melissa_init only records fields (and computes this
 * rank's offset and the global size with MPI collectives); the first
 * melissa_send, whichever field, freezes the field list and registers: rank 0
 * waits (bounded) for the address file, sends `register` and waits (bounded)
 * for `accept` or `refuse`, then broadcasts the outcome (session and data
 * endpoints, or the error) to every rank with MPI_Bcast. Hence all ranks must
 * make their first melissa_send together, and calls are safe before the server
 * is up. A failed registration is sticky: every later send returns the same
 * status at once.
 *
 * Each rank sends its own chunk. For every (time step, field) every rank
 * PUSHes one message (a 56-byte header frame and its values) straight to the
 * training server's data endpoint (sim + t) mod R; rank r's chunk starts at
 * offset = sum of the local sizes of ranks < r (MPI_Exscan). The alternative,
 * gathering the field on rank 0 and sending it once, costs an MPI_Gatherv
 * (a full extra copy of the field through rank 0's memory and network link,
 * and every rank waits for it) and serialises the whole field through one
 * sender; per-rank sending costs one 56-byte header and one ZeroMQ message per
 * rank and lets every rank (every node's link) stream at once, without any
 * collective per step. For the field the server assembles the chunks. The
 * values are copied into a ZeroMQ message (one memcpy, 20+ GB/s) because the
 * caller owns its buffer again as soon as melissa_send returns; the network
 * I/O happens on ZeroMQ's background thread.
 *
 * Encryption: when the address file has "curve_server_key", every socket is a
 * CURVE client of that key with an ephemeral key pair per process.
 *
 * Offline mode (docs/offline.md): when MELISSA_OFFLINE_DIR is set and non-empty
 * (rank 0's environment decides, at registration), nothing is sent and no server,
 * token or address file is needed (only MELISSA_SIMULATION_ID, MELISSA_ATTEMPT and
 * the time steps are read). At the first melissa_send rank 0 makes
 * $MELISSA_OFFLINE_DIR/sim-<id>/, removes its complete.json and recreates one
 * <field>.npy per field (NPY 1.0, float32, shape (time steps, global size), zeros),
 * then broadcasts the outcome as online; each send writes the rank's chunk, rounded
 * to float32, in place (pwrite); melissa_finalize (collective) fsyncs and closes
 * every rank's files and rank 0 then writes complete.json (temporary file + rename).
 * Field names must be usable as file names (no '/', no leading '.', valid UTF-8,
 * at most 251 bytes), else MELISSA_ERR_ARGUMENT; a file that cannot be made or
 * written is MELISSA_ERR_ENVIRONMENT, the message naming the path and the errno.
 *
 * Threads: call the library from one thread (the one that calls MPI), like
 * MPI_THREAD_FUNNELED. Not reentrant.
 */
#ifndef MELISSA_CLIENT_H
#define MELISSA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Protocol version this library speaks (docs/protocol.md). */
#define MELISSA_PROTOCOL_VERSION 1

/** Return codes. 0 is success; the others are failures. */
typedef enum melissa_status {
    MELISSA_OK = 0,
    /** A bad argument: NULL pointer, empty or too long (> 255 bytes) name,
        unknown field, more than 64 fields, a field initialised twice; in
        offline mode, a name that cannot be a file name. */
    MELISSA_ERR_ARGUMENT = 1,
    /** A call out of order: melissa_init after the first send, a send before
        melissa_init, a field sent twice in one time step, MPI not initialised. */
    MELISSA_ERR_STATE = 2,
    /** A missing or invalid environment variable, an unreadable or invalid
        token or address file; in offline mode, a directory or file that
        cannot be created, written or synced. */
    MELISSA_ERR_ENVIRONMENT = 3,
    /** A bounded wait expired: the address file did not appear, the server did
        not answer the registration, or a send stayed blocked. */
    MELISSA_ERR_TIMEOUT = 4,
    /** The server refused the registration; melissa_refuse_reason() holds the
        protocol's reason and melissa_last_error() the server's message. */
    MELISSA_ERR_REFUSED = 5,
    /** The server's answer violates the protocol (bad magic, version, kind,
        length or endpoint). */
    MELISSA_ERR_PROTOCOL = 6,
    /** A ZeroMQ call failed. */
    MELISSA_ERR_ZMQ = 7,
    /** An MPI call failed, or the ranks disagree (different field names or
        order on different ranks). */
    MELISSA_ERR_MPI = 8,
    /** Out of memory. */
    MELISSA_ERR_MEMORY = 9,
    /** More time steps sent than registered (MELISSA_TIME_STEPS). */
    MELISSA_ERR_TOO_MANY_STEPS = 10
} melissa_status;

/** Reasons of a `refuse` (docs/protocol.md), as melissa_refuse_reason() returns them. */
enum melissa_refuse_reason {
    MELISSA_REFUSE_NONE = 0,
    MELISSA_REFUSE_WRONG_TOKEN = 1,
    MELISSA_REFUSE_UNKNOWN_SIMULATION = 2,
    MELISSA_REFUSE_INCOMPATIBLE_VERSION = 3,
    MELISSA_REFUSE_FIELD_MISMATCH = 4,
    MELISSA_REFUSE_MALFORMED = 5,
    MELISSA_REFUSE_FINISHED = 6,
    MELISSA_REFUSE_RANKS_MISMATCH = 7
};

/**
 * Declares one field of `local_size` values on this rank (the rank's chunk;
 * it may be 0). Collective over `comm`: every rank of `comm` declares the same
 * fields in the same order (checked: a mismatch returns MELISSA_ERR_MPI on every
 * rank). The first call duplicates `comm` for the library's own use; later calls
 * must pass the same communicator. MPI must be initialised (see
 * melissa_init_world otherwise). At most 64 fields, names 1 to 255 bytes.
 * Must come before the first melissa_send.
 */
int melissa_init(const char *field_name, size_t local_size, MPI_Comm comm);

/** melissa_init with a Fortran communicator handle (converted with MPI_Comm_f2c). */
int melissa_init_f(const char *field_name, size_t local_size, MPI_Fint comm);

/**
 * melissa_init on MPI_COMM_WORLD, initialising MPI first (MPI_Init) when nobody
 * did; then melissa_finalize also calls MPI_Finalize. For bindings that cannot
 * name a communicator (Python without mpi4py) and for serial codes.
 */
int melissa_init_world(const char *field_name, size_t local_size);

/**
 * Sets the number of time steps the simulation will send, instead of
 * MELISSA_TIME_STEPS. Call before the first melissa_send (any rank value is
 * taken from rank 0).
 */
int melissa_set_time_steps(uint32_t time_steps);

/**
 * Sends this rank's chunk of one time step of a field: `local_size` float64
 * values. The first send of the run registers (collective, see above). Time
 * step t of the field is the number of times it was sent before; a step is
 * complete when every initialised field was sent once, and a field cannot be
 * sent again before that (MELISSA_ERR_STATE). The values are copied: the
 * buffer is the caller's again on return. May block on back-pressure, at most
 * MELISSA_SEND_TIMEOUT seconds.
 */
int melissa_send(const char *field_name, const double *values);

/** melissa_send with float32 values. */
int melissa_send_float(const char *field_name, const float *values);

/**
 * Ends the stream: every rank sends `finish` to every data endpoint (within
 * MELISSA_SEND_TIMEOUT seconds for all of them), then closes its sockets,
 * waiting at most MELISSA_LINGER seconds for queued messages to be delivered
 * (what is still queued then is dropped and the call returns
 * MELISSA_ERR_TIMEOUT): it returns within MELISSA_SEND_TIMEOUT + MELISSA_LINGER, frees the duplicated communicator (collective:
 * every rank calls it) and all library state; melissa_init may then start a new
 * session. Call before MPI_Finalize. A no-op returning MELISSA_OK when nothing
 * was initialised. Finish is sent only after a successful registration.
 * Offline, it fsyncs and closes the files instead and rank 0 writes complete.json
 * (steps_written: the steps every rank completed); a failure on any rank is
 * returned on every rank and leaves no complete.json.
 */
int melissa_finalize(void);

/** The message of the last failure on this process ("" if none). Valid until the next call. */
const char *melissa_last_error(void);

/** The reason of the server's last refusal (enum melissa_refuse_reason), 0 if none. */
int melissa_refuse_reason(void);

/** The name of a status code, e.g. "MELISSA_ERR_TIMEOUT". */
const char *melissa_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* MELISSA_CLIENT_H */
