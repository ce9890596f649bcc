/*
 * Offline mode (MELISSA_OFFLINE_DIR, docs/offline.md) from C (clients/tests/run-client-tests):
 *
 *   c_offline stream STEPS [--wide N] [--partial] [--no-finalize] [--check-fresh]
 *       Sends STEPS time steps of two fields with uneven chunks (rank r has 3 values of
 *       "pressure" except rank 1, which has none, and 2 + 3 r of "density"):
 *         pressure (melissa_send, float64):       k + 1000 t + 0.1
 *         density  (melissa_send_float, float32): 0.25 k + 1000 t + 0.5
 *       for value k of the global field at step t. --wide N adds a third field "wide"
 *       (float64, N + r values on rank r): k + 0.001 t. --partial then sends "pressure"
 *       once more (an incomplete step); --no-finalize skips melissa_finalize (an attempt
 *       that died); --check-fresh checks, on rank 0 after the first send, that complete.json
 *       is gone and pressure.npy has its full size.
 *   c_offline badname
 *       Field names unusable as file names: MELISSA_ERR_ARGUMENT in offline mode (at
 *       melissa_init, and at the first send if MELISSA_OFFLINE_DIR appears after init);
 *       accepted online.
 * Exit status 0 when every check holds.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mpi.h>

#include "melissa/client.h"

static int failures = 0;
static int rank = 0, size = 1;

static void expect(int got, int want, const char *what)
{
    if (got != want) {
        printf("FAIL rank %d %s: got %s, want %s (%s)\n", rank, what, melissa_status_name(got), melissa_status_name(want),
               melissa_last_error());
        failures++;
    } else if (rank == 0 || got != 0) {
        printf("ok   rank %d %s: %s%s%s\n", rank, what, melissa_status_name(got), got ? ": " : "", got ? melissa_last_error() : "");
    }
}

/* Sum of the local sizes of the ranks before `r` (what melissa_init's MPI_Exscan computes). */
static size_t offset_of(size_t (*local)(int), int r)
{
    size_t sum = 0;
    for (int i = 0; i < r; i++) sum += local(i);
    return sum;
}

static size_t pressure_size(int r) { return r == 1 ? 0 : 3; }
static size_t density_size(int r) { return 2 + 3 * (size_t)r; }
static size_t wide_base = 0;
static size_t wide_size(int r) { return wide_base + (size_t)r; }

static void check_fresh(void)
{
    const char *dir = getenv("MELISSA_OFFLINE_DIR"), *sim = getenv("MELISSA_SIMULATION_ID");
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/sim-%s/complete.json", dir, sim);
    if (stat(path, &st) == 0 || errno != ENOENT) {
        printf("FAIL %s exists during the run\n", path);
        failures++;
    } else {
        printf("ok   no complete.json after the first send\n");
    }
    snprintf(path, sizeof path, "%s/sim-%s/pressure.npy", dir, sim);
    long long want = 128 + 4LL * atoll(getenv("MELISSA_TIME_STEPS")) * (long long)offset_of(pressure_size, size);
    if (stat(path, &st) != 0 || (long long)st.st_size != want) {
        printf("FAIL %s: %lld bytes, want %lld\n", path, stat(path, &st) == 0 ? (long long)st.st_size : -1LL, want);
        failures++;
    } else {
        printf("ok   pressure.npy has its full size (%lld bytes)\n", want);
    }
}

static int stream(int argc, char **argv)
{
    int steps = atoi(argv[2]), partial = 0, finalize = 1, fresh = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--wide") == 0 && i + 1 < argc) {
            wide_base = (size_t)atol(argv[++i]);
        } else if (strcmp(argv[i], "--partial") == 0) {
            partial = 1;
        } else if (strcmp(argv[i], "--no-finalize") == 0) {
            finalize = 0;
        } else if (strcmp(argv[i], "--check-fresh") == 0) {
            fresh = 1;
        } else {
            fprintf(stderr, "c_offline: bad argument %s\n", argv[i]);
            return 1;
        }
    }
    size_t np = pressure_size(rank), nd = density_size(rank), nw = wide_base ? wide_size(rank) : 0;
    size_t op = offset_of(pressure_size, rank), od = offset_of(density_size, rank), ow = offset_of(wide_size, rank);
    double *p = calloc(np + 1, sizeof *p), *w = calloc(nw + 1, sizeof *w);
    float *d = calloc(nd + 1, sizeof *d);
    expect(melissa_init("pressure", np, MPI_COMM_WORLD), MELISSA_OK, "init pressure");
    expect(melissa_init("density", nd, MPI_COMM_WORLD), MELISSA_OK, "init density");
    if (wide_base) expect(melissa_init("wide", nw, MPI_COMM_WORLD), MELISSA_OK, "init wide");
    for (int t = 0; t < steps; t++) {
        for (size_t i = 0; i < np; i++) p[i] = (double)(op + i) + 1000.0 * t + 0.1;
        for (size_t i = 0; i < nd; i++) d[i] = (float)(0.25 * (double)(od + i) + 1000.0 * t + 0.5);
        for (size_t i = 0; i < nw; i++) w[i] = (double)(ow + i) + 0.001 * t;
        int a = melissa_send("pressure", p), b = melissa_send_float("density", d), c = wide_base ? melissa_send("wide", w) : 0;
        if (a || b || c || t == 0) {
            expect(a, MELISSA_OK, "send pressure");
            expect(b, MELISSA_OK, "send density");
            expect(c, MELISSA_OK, "send wide");
        }
        if (t == 0 && fresh && rank == 0) check_fresh();
    }
    if (partial) {
        for (size_t i = 0; i < np; i++) p[i] = (double)(op + i) + 1000.0 * steps + 0.1;
        expect(melissa_send("pressure", p), MELISSA_OK, "send pressure of an incomplete step");
    }
    if (finalize) expect(melissa_finalize(), MELISSA_OK, "finalize");
    free(p);
    free(d);
    free(w);
    return 0;
}

static void badname(void)
{
    static const char *bad[] = {".", "..", ".hidden", "a/b", "/abs", "\xff\xfe"};
    char long_name[253];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    double v[1] = {1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "offline init of a bad name (#%zu)", i);
        expect(melissa_init(bad[i], 1, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, what);
    }
    expect(melissa_init(long_name, 1, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, "offline init of a 252-byte name");
    long_name[251] = '\0';
    expect(melissa_init(long_name, 1, MPI_COMM_WORLD), MELISSA_OK, "offline init of a 251-byte name");
    expect(melissa_init("ok", 1, MPI_COMM_WORLD), MELISSA_OK, "offline init of a good name");
    expect(melissa_finalize(), MELISSA_OK, "finalize without a send");

    /* Online the names are the server's business; offline is decided at the first send. */
    char *dir = strdup(getenv("MELISSA_OFFLINE_DIR"));
    unsetenv("MELISSA_OFFLINE_DIR");
    expect(melissa_init("a/b", 1, MPI_COMM_WORLD), MELISSA_OK, "online init of a/b");
    setenv("MELISSA_OFFLINE_DIR", dir, 1);
    expect(melissa_send("a/b", v), MELISSA_ERR_ARGUMENT, "offline first send of a/b");
    if (strstr(melissa_last_error(), "a/b") == NULL) {
        printf("FAIL the message does not name the field: %s\n", melissa_last_error());
        failures++;
    }
    expect(melissa_send("a/b", v), MELISSA_ERR_ARGUMENT, "the failure is sticky");
    expect(melissa_finalize(), MELISSA_OK, "finalize after a failed registration");
    free(dir);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int usage = 0;
    if (argc >= 3 && strcmp(argv[1], "stream") == 0) {
        usage = stream(argc, argv);
    } else if (argc >= 2 && strcmp(argv[1], "badname") == 0) {
        badname();
    } else {
        usage = 1;
    }
    if (usage) {
        fprintf(stderr, "usage: c_offline stream STEPS [--wide N] [--partial] [--no-finalize] [--check-fresh] | badname\n");
        failures++;
    }
    MPI_Finalize();
    return failures ? 1 : 0;
}
