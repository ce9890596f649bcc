/*
 * heat-pde: the 2D heat equation of the Melissa paper, streamed to melissa.
 *
 *   heat-pde [--mesh N] [--steps T] [--dt DT] [--no-stream] [--dump FILE]
 *            [--step-delay S] [--tolerance TOL] T0 T1 T2 T3 T4
 *
 * du/dt = Δu on the unit square, an N×N grid of interior points (h = 1/(N+1)),
 * initial temperature T0 everywhere, Dirichlet walls T1 (top, row -1), T2
 * (bottom, row N), T3 (left, column -1), T4 (right, column N). Implicit Euler:
 * (I - dt Δ_h) u^{n+1} = u^n + wall terms, solved by conjugate gradient on the
 * matrix-free 5-point Laplacian (the previous step as initial guess, relative
 * residual below --tolerance, default 1e-10). MPI: the rows are split in
 * contiguous blocks across the ranks of MPI_COMM_WORLD, one halo row above and
 * below, exchanged with MPI_Sendrecv; dot products with MPI_Allreduce.
 *
 * After each of the T steps it sends the field: melissa_send("temperature",
 * the rank's rows), time step t = the field after t+1 implicit steps. The
 * number of steps registered is --steps (melissa_set_time_steps).
 * --no-stream runs without melissa (to measure the solver alone). --dump FILE
 * writes every step's whole field as raw little-endian float64 (T × N × N
 * values, step-major, rows top to bottom), each rank its own rows, to compare
 * with what a server received. --step-delay sleeps after each step (tests).
 *
 * Prints one line on rank 0 at the end: `heat-pde: mesh N steps T ranks R
 * cg_iterations K wall_seconds W send_seconds S finalize_seconds F streamed
 * yes|no` (W from MPI_Init to after melissa_finalize; S the time spent inside
 * melissa_send, registration included; F inside melissa_finalize, i.e. waiting
 * for the queued data to leave; each the maximum over the ranks).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "melissa/client.h"

typedef struct {
    int n;                 /* mesh: n × n interior points */
    int rows;              /* rows on this rank */
    int first_row;         /* global index of the first one */
    int up, down;          /* neighbour ranks (MPI_PROC_NULL at the walls) */
    double r;              /* dt / h² */
    MPI_Comm comm;
} grid_t;

static void usage(const char *message)
{
    fprintf(stderr, "heat-pde: %s\nusage: heat-pde [--mesh N] [--steps T] [--dt DT] [--no-stream] [--dump FILE] "
                    "[--step-delay S] [--tolerance TOL] T0 T1 T2 T3 T4\n",
            message);
}

static int parse_double(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *text, long min, long max, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return -1;
    *out = (int)v;
    return 0;
}

/* Fills the halo rows of v ((rows + 2) × n, interior from row 1) from the neighbours; zero at the walls. */
static void exchange_halos(const grid_t *g, double *v)
{
    int n = g->n;
    double *top_halo = v, *first = v + n, *last = v + (size_t)g->rows * n, *bottom_halo = v + (size_t)(g->rows + 1) * n;
    MPI_Sendrecv(first, n, MPI_DOUBLE, g->up, 0, bottom_halo, n, MPI_DOUBLE, g->down, 0, g->comm, MPI_STATUS_IGNORE);
    MPI_Sendrecv(last, n, MPI_DOUBLE, g->down, 1, top_halo, n, MPI_DOUBLE, g->up, 1, g->comm, MPI_STATUS_IGNORE);
    if (g->up == MPI_PROC_NULL) memset(top_halo, 0, sizeof(double) * (size_t)n);
    if (g->down == MPI_PROC_NULL) memset(bottom_halo, 0, sizeof(double) * (size_t)n);
}

/* out = A v on the interior, A = (1 + 4r) I - r (neighbours); v has halos (exchanged here). */
static void apply(const grid_t *g, double *v, double *out)
{
    exchange_halos(g, v);
    int n = g->n;
    double c = 1 + 4 * g->r, r = g->r;
    for (int i = 0; i < g->rows; i++) {
        const double *row = v + (size_t)(i + 1) * n, *above = row - n, *below = row + n;
        double *o = out + (size_t)i * n;
        for (int j = 0; j < n; j++) {
            double left = j > 0 ? row[j - 1] : 0, right = j < n - 1 ? row[j + 1] : 0;
            o[j] = c * row[j] - r * (above[j] + below[j] + left + right);
        }
    }
}

static double dot(const grid_t *g, const double *a, const double *b, size_t count)
{
    double local = 0, global = 0;
    for (size_t i = 0; i < count; i++) local += a[i] * b[i];
    MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, g->comm);
    return global;
}

/*
 * One implicit Euler step: solves A x = b by CG, x (with halos) holding u^n on entry
 * (the initial guess) and u^{n+1} on return. Returns the iterations.
 */
static int cg(const grid_t *g, double *x, const double *b, double *res, double *p, double *ap, double tolerance)
{
    size_t count = (size_t)g->rows * g->n;
    double *xi = x + g->n, *pi = p + g->n;
    apply(g, x, ap);
    for (size_t k = 0; k < count; k++) {
        res[k] = b[k] - ap[k];
        pi[k] = res[k];
    }
    double rs = dot(g, res, res, count);
    double limit = tolerance * tolerance * dot(g, b, b, count);
    int iterations = 0;
    while (rs > limit && iterations < 100000) {
        apply(g, p, ap);
        double pap = dot(g, pi, ap, count);
        if (!(pap > 0)) break;
        double alpha = rs / pap;
        for (size_t k = 0; k < count; k++) {
            xi[k] += alpha * pi[k];
            res[k] -= alpha * ap[k];
        }
        double rs_new = dot(g, res, res, count);
        double beta = rs_new / rs;
        for (size_t k = 0; k < count; k++) pi[k] = res[k] + beta * pi[k];
        rs = rs_new;
        iterations++;
    }
    return iterations;
}

static int write_all(int fd, const void *data, size_t length, off_t offset)
{
    const char *p = data;
    while (length > 0) {
        ssize_t w = pwrite(fd, p, length, offset);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        length -= (size_t)w;
        offset += w;
    }
    return 0;
}

/* Reports a melissa failure; a failure every rank shares (registration) ends cleanly, others abort. */
static void melissa_failed(const char *call, int status, int rank, int collective)
{
    const char *text = melissa_last_error();
    if (rank == 0 || strncmp(text, "rank 0:", 7) != 0) {
        fprintf(stderr, "heat-pde: rank %d: %s: %s: %s\n", rank, call, melissa_status_name(status), text);
    }
    if (collective) {
        melissa_finalize();
        MPI_Finalize();
        exit(3);
    }
    MPI_Abort(MPI_COMM_WORLD, 3);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    double start = MPI_Wtime();
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    int n = 100, steps = 100, stream = 1;
    double dt = 5e-4, delay = 0, tolerance = 1e-10, temperatures[5];
    const char *dump = NULL;
    int positional = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--mesh") == 0 && value) {
            bad = parse_int(value, 1, 100000, &n);
            i++;
        } else if (strcmp(a, "--steps") == 0 && value) {
            bad = parse_int(value, 0, 1000000000, &steps);
            i++;
        } else if (strcmp(a, "--dt") == 0 && value) {
            bad = parse_double(value, &dt) || !(dt > 0);
            i++;
        } else if (strcmp(a, "--tolerance") == 0 && value) {
            bad = parse_double(value, &tolerance) || !(tolerance > 0);
            i++;
        } else if (strcmp(a, "--step-delay") == 0 && value) {
            bad = parse_double(value, &delay) || delay < 0 || delay > 3600;
            i++;
        } else if (strcmp(a, "--dump") == 0 && value) {
            dump = value;
            i++;
        } else if (strcmp(a, "--no-stream") == 0) {
            stream = 0;
        } else if (a[0] == '-' && a[1] == '-') {
            bad = 1;
        } else if (positional < 5) {
            bad = parse_double(a, &temperatures[positional++]);
        } else {
            bad = 1;
        }
        if (bad && rank == 0) {
            char message[300];
            snprintf(message, sizeof message, "bad argument `%s`%s", a, value ? "" : " (or a missing value)");
            usage(message);
        }
    }
    if (!bad && positional != 5) {
        bad = 1;
        if (rank == 0) usage("expected five temperatures: T0 (initial) T1 (top) T2 (bottom) T3 (left) T4 (right)");
    }
    if (!bad && n < size) {
        bad = 1;
        if (rank == 0) usage("the mesh has fewer rows than there are ranks");
    }
    if (bad) {
        MPI_Finalize();
        return 2;
    }

    grid_t g;
    g.n = n;
    g.rows = n / size + (rank < n % size ? 1 : 0);
    g.first_row = rank * (n / size) + (rank < n % size ? rank : n % size);
    g.up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    g.down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;
    double h = 1.0 / (n + 1);
    g.r = dt / (h * h);
    g.comm = MPI_COMM_WORLD;

    size_t count = (size_t)g.rows * n, with_halo = (size_t)(g.rows + 2) * n;
    double *u = calloc(with_halo, sizeof *u), *p = calloc(with_halo, sizeof *p);
    double *b = malloc(count * sizeof *b), *res = malloc(count * sizeof *res), *ap = malloc(count * sizeof *ap);
    if (!u || !p || !b || !res || !ap) {
        fprintf(stderr, "heat-pde: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (size_t k = 0; k < count; k++) u[n + k] = temperatures[0];

    int fd = -1;
    if (dump) {
        if (rank == 0) {
            fd = open(dump, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd >= 0) close(fd);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        fd = open(dump, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "heat-pde: cannot open %s: %s\n", dump, strerror(errno));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }

    if (stream) {
        int status = melissa_init("temperature", count, MPI_COMM_WORLD);
        if (status == MELISSA_OK) status = melissa_set_time_steps((uint32_t)steps);
        if (status != MELISSA_OK) melissa_failed("melissa_init", status, rank, 1);
    }

    long iterations = 0;
    double in_melissa = 0, in_finalize = 0; /* seconds inside melissa_send, melissa_finalize */
    for (int t = 0; t < steps; t++) {
        /* right-hand side: u^n plus the walls next to the boundary points */
        for (int i = 0; i < g.rows; i++) {
            int global_row = g.first_row + i;
            for (int j = 0; j < n; j++) {
                double v = u[(size_t)(i + 1) * n + j];
                if (global_row == 0) v += g.r * temperatures[1];
                if (global_row == n - 1) v += g.r * temperatures[2];
                if (j == 0) v += g.r * temperatures[3];
                if (j == n - 1) v += g.r * temperatures[4];
                b[(size_t)i * n + j] = v;
            }
        }
        iterations += cg(&g, u, b, res, p, ap, tolerance);

        if (fd >= 0) {
            off_t offset = ((off_t)t * n * n + (off_t)g.first_row * n) * (off_t)sizeof(double);
            if (write_all(fd, u + n, count * sizeof(double), offset) != 0) {
                fprintf(stderr, "heat-pde: writing %s: %s\n", dump, strerror(errno));
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        }
        if (stream) {
            double before = MPI_Wtime();
            int status = melissa_send("temperature", u + n);
            in_melissa += MPI_Wtime() - before;
            if (t == 0) {
                /* A registration failure is every rank's: agree on it to end cleanly. */
                int worst = status;
                MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
                if (worst != MELISSA_OK) melissa_failed("melissa_send", status != 0 ? status : worst, rank, 1);
            } else if (status != MELISSA_OK) {
                melissa_failed("melissa_send", status, rank, 0);
            }
        }
        if (delay > 0) {
            struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
    }
    if (fd >= 0) close(fd);

    int exit_code = 0;
    if (stream) {
        double before = MPI_Wtime();
        int status = melissa_finalize();
        in_finalize = MPI_Wtime() - before;
        if (status != MELISSA_OK) {
            fprintf(stderr, "heat-pde: rank %d: melissa_finalize: %s: %s\n", rank, melissa_status_name(status), melissa_last_error());
            exit_code = 3;
        }
    }
    double mine[3] = {MPI_Wtime() - start, in_melissa, in_finalize}, slowest[3] = {0, 0, 0};
    MPI_Reduce(mine, slowest, 3, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("heat-pde: mesh %d steps %d ranks %d cg_iterations %ld wall_seconds %.6f send_seconds %.6f finalize_seconds %.6f "
               "streamed %s\n",
               n, steps, size, iterations, slowest[0], slowest[1], slowest[2], stream ? "yes" : "no");
        fflush(stdout);
    }
    free(u);
    free(p);
    free(b);
    free(res);
    free(ap);
    MPI_Finalize();
    return exit_code;
}
