/*
 * C API checks without a working server (clients/tests/run-client-tests):
 *   c_api_misuse misuse        argument and call-order errors, no server needed
 *   c_api_misuse expect CODE   init "x" (4 values), one send; the send must return CODE
 *                              (e.g. 4 timeout, 5 refused, 6 protocol); prints the error
 *   c_api_misuse stall N       init "x" (N values) and send until a send fails: it must be
 *                              MELISSA_ERR_TIMEOUT (a server that reads nothing), and
 *                              melissa_finalize must return within MELISSA_SEND_TIMEOUT + MELISSA_LINGER + 3 s
 * Exit status 0 when every check holds.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "melissa/client.h"

static int failures = 0;

static void expect(int got, int want, const char *what)
{
    if (got != want) {
        printf("FAIL %s: got %s, want %s (%s)\n", what, melissa_status_name(got), melissa_status_name(want), melissa_last_error());
        failures++;
    } else {
        printf("ok   %s: %s%s%s\n", what, melissa_status_name(got), got ? ": " : "", got ? melissa_last_error() : "");
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    double values[4] = {1, 2, 3, 4};
    if (argc >= 2 && strcmp(argv[1], "misuse") == 0) {
        expect(melissa_finalize(), MELISSA_OK, "finalize before init is a no-op");
        expect(melissa_send("x", values), MELISSA_ERR_STATE, "send before init");
        expect(melissa_init(NULL, 4, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, "NULL name");
        expect(melissa_init("", 4, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, "empty name");
        char long_name[300];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        expect(melissa_init(long_name, 4, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, "name of 299 bytes");
        expect(melissa_init("x", 4, MPI_COMM_WORLD), MELISSA_OK, "init x");
        expect(melissa_init("x", 4, MPI_COMM_WORLD), MELISSA_ERR_ARGUMENT, "init x twice");
        expect(melissa_init("y", 4, MPI_COMM_SELF), MELISSA_ERR_ARGUMENT, "another communicator");
        expect(melissa_send("z", values), MELISSA_ERR_ARGUMENT, "unknown field");
        expect(melissa_send("x", NULL), MELISSA_ERR_ARGUMENT, "NULL values");
        unsetenv("MELISSA_SIMULATION_ID");
        setenv("MELISSA_STUDY_DIR", "/nonexistent", 1);
        expect(melissa_send("x", values), MELISSA_ERR_ENVIRONMENT, "no MELISSA_SIMULATION_ID");
        expect(melissa_send("x", values), MELISSA_ERR_ENVIRONMENT, "a failed registration is sticky");
        expect(melissa_init("y", 4, MPI_COMM_WORLD), MELISSA_ERR_STATE, "init after the first send");
        expect(melissa_finalize(), MELISSA_OK, "finalize after a failed registration");
        expect(melissa_finalize(), MELISSA_OK, "finalize twice");
        expect(melissa_init("x", 4, MPI_COMM_WORLD), MELISSA_OK, "init again after finalize");
        expect(melissa_finalize(), MELISSA_OK, "finalize again");
    } else if (argc >= 3 && strcmp(argv[1], "expect") == 0) {
        int want = atoi(argv[2]);
        expect(melissa_init("x", 4, MPI_COMM_WORLD), MELISSA_OK, "init x");
        expect(melissa_send("x", values), want, "first send");
        expect(melissa_finalize(), MELISSA_OK, "finalize");
    } else if (argc >= 3 && strcmp(argv[1], "stall") == 0) {
        size_t n = (size_t)atol(argv[2]);
        double *big = calloc(n, sizeof *big);
        expect(melissa_init("x", n, MPI_COMM_WORLD), MELISSA_OK, "init x");
        int status = MELISSA_OK, steps = 0;
        while (status == MELISSA_OK && steps < 100000) {
            status = melissa_send("x", big);
            steps++;
        }
        printf("     a send failed after %d steps\n", steps);
        expect(status, MELISSA_ERR_TIMEOUT, "send to a server that reads nothing");
        double start = MPI_Wtime();
        int final = melissa_finalize();
        double took = MPI_Wtime() - start;
        const char *linger = getenv("MELISSA_LINGER");
        const char *send_timeout = getenv("MELISSA_SEND_TIMEOUT");
        double bound = (linger ? atof(linger) : 300) + (send_timeout ? atof(send_timeout) : 300) + 3;
        printf("     melissa_finalize: %s after %.1f s: %s\n", melissa_status_name(final), took, melissa_last_error());
        expect(took < bound ? MELISSA_OK : MELISSA_ERR_TIMEOUT, MELISSA_OK, "finalize is bounded by MELISSA_SEND_TIMEOUT + MELISSA_LINGER");
        free(big);
    } else {
        fprintf(stderr, "usage: c_api_misuse misuse | expect CODE | stall N\n");
        failures++;
    }
    MPI_Finalize();
    return failures ? 1 : 0;
}
