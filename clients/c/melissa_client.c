/*
 * melissa client library (C11, libzmq, MPI). Wire protocol: docs/protocol.md v1.
 * API and design notes: include/melissa/client.h and docs/client-api.md.
 */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64

#include "melissa/client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "cannot determine the byte order"
#endif
#define MELISSA_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

_Static_assert(sizeof(off_t) == 8, "offline mode needs a 64-bit off_t");

enum {
    KIND_REGISTER = 1,
    KIND_ACCEPT = 2,
    KIND_REFUSE = 3,
    KIND_DATA = 4,
    KIND_FINISH = 5,
    PREAMBLE_SIZE = 8,
    DATA_HEADER_SIZE = 56,
    FINISH_SIZE = 32,
    TOKEN_SIZE = 64,
    MAX_FIELDS = 64,
    MAX_NAME = 255,
    ELEMENT_FLOAT32 = 1,
    ELEMENT_FLOAT64 = 2,
};

/* Upper bounds on what the server may send us (hostile input). */
#define MAX_ANSWER_BYTES (1u << 20)
#define MAX_ENDPOINTS 4096u
#define MAX_ENDPOINT_BYTES 1024u

typedef struct {
    char *name;
    size_t name_len;
    uint64_t local_size;
    uint64_t offset;
    uint64_t global_size;
    uint32_t steps_sent;
    /* offline mode (MELISSA_OFFLINE_DIR): this field's file, -1 when not open */
    int fd;
    char *path;           /* STUDY/data/sim-<id>/<field>.npy */
    uint64_t data_offset; /* bytes of the NPY header */
} field_t;

typedef struct {
    int initialised;      /* at least one melissa_init succeeded */
    int registered;       /* registration done (successfully or not) */
    int failed;           /* sticky status of a failed registration, 0 if none */
    int own_mpi;          /* we called MPI_Init */
    MPI_Comm user_comm;   /* as passed to the first melissa_init */
    MPI_Comm comm;        /* our duplicate */
    int rank, size;
    field_t fields[MAX_FIELDS];
    size_t nfields;
    int time_steps_set;
    uint32_t time_steps;
    uint32_t sim_id, attempt;
    uint64_t session;
    uint32_t step; /* current (incomplete) time step */
    void *zctx;
    void **push;
    uint32_t nendpoints;
    int send_timeout_ms;
    int linger_ms;
    int hwm;               /* messages queued per data endpoint before a send blocks */
    uint64_t buffer_bytes; /* MELISSA_SEND_BUFFER_MIB, to derive hwm */
    int refuse_reason;
    int curve;                   /* the server requires CURVE (curve_server_key in its address file) */
    char curve_server_key[41];   /* Z85 */
    char curve_public_key[41];   /* this process's ephemeral key pair */
    char curve_secret_key[41];
    int offline;           /* offline mode: the fields go to files (docs/offline.md) */
    char *offline_dir;     /* STUDY/data/sim-<id> */
    float *scratch;        /* float32 conversion buffer of offline sends */
    size_t scratch_count;  /* its capacity in values */
} state_t;

static state_t g;
static char last_error[1024];
static int last_refuse_reason; /* survives melissa_finalize, like last_error */

/* ------------------------------------------------------------------ errors */

static int fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

const char *melissa_last_error(void) { return last_error; }

int melissa_refuse_reason(void) { return last_refuse_reason; }

const char *melissa_status_name(int status)
{
    switch (status) {
    case MELISSA_OK: return "MELISSA_OK";
    case MELISSA_ERR_ARGUMENT: return "MELISSA_ERR_ARGUMENT";
    case MELISSA_ERR_STATE: return "MELISSA_ERR_STATE";
    case MELISSA_ERR_ENVIRONMENT: return "MELISSA_ERR_ENVIRONMENT";
    case MELISSA_ERR_TIMEOUT: return "MELISSA_ERR_TIMEOUT";
    case MELISSA_ERR_REFUSED: return "MELISSA_ERR_REFUSED";
    case MELISSA_ERR_PROTOCOL: return "MELISSA_ERR_PROTOCOL";
    case MELISSA_ERR_ZMQ: return "MELISSA_ERR_ZMQ";
    case MELISSA_ERR_MPI: return "MELISSA_ERR_MPI";
    case MELISSA_ERR_MEMORY: return "MELISSA_ERR_MEMORY";
    case MELISSA_ERR_TOO_MANY_STEPS: return "MELISSA_ERR_TOO_MANY_STEPS";
    default: return "MELISSA_ERR_UNKNOWN";
    }
}

static const char *refuse_reason_text(uint32_t reason)
{
    switch (reason) {
    case MELISSA_REFUSE_WRONG_TOKEN: return "wrong token";
    case MELISSA_REFUSE_UNKNOWN_SIMULATION: return "unknown simulation";
    case MELISSA_REFUSE_INCOMPATIBLE_VERSION: return "incompatible version";
    case MELISSA_REFUSE_FIELD_MISMATCH: return "field mismatch";
    case MELISSA_REFUSE_MALFORMED: return "malformed registration";
    case MELISSA_REFUSE_FINISHED: return "simulation already finished";
    case MELISSA_REFUSE_RANKS_MISMATCH: return "MPI ranks differ from the study's simulation.resources.tasks";
    default: return "unknown reason";
    }
}

/* --------------------------------------------------------- little endian */

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void put_preamble(unsigned char *p, uint16_t kind)
{
    memcpy(p, "MLSA", 4);
    put16(p + 4, MELISSA_PROTOCOL_VERSION);
    put16(p + 6, kind);
}

/* ------------------------------------------------------------------- time */

/* Seconds to milliseconds for a ZeroMQ option, clamped to what an int holds (~24 days). */
static int to_ms(double seconds)
{
    double ms = seconds * 1000;
    return ms >= (double)INT_MAX ? INT_MAX : (int)ms;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_seconds(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------ environment */

/* Parses a decimal unsigned integer <= max; 0 on success. */
static int parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    if (text == NULL || *text == '\0') return -1;
    uint64_t v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        unsigned d = (unsigned)(*c - '0');
        if (v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Seconds from an environment variable (a positive number), or the default. */
static int env_seconds(const char *name, double fallback, double *out)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0') {
        *out = fallback;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0) || v > 1e7) {
        return fail(MELISSA_ERR_ENVIRONMENT, "%s=%s: expected a positive number of seconds", name, text);
    }
    *out = v;
    return 0;
}

static int env_u32(const char *name, int required, uint32_t fallback, uint32_t *out)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0') {
        if (required) return fail(MELISSA_ERR_ENVIRONMENT, "%s is not set", name);
        *out = fallback;
        return 0;
    }
    uint64_t v;
    if (parse_u64(text, UINT32_MAX, &v) != 0) {
        return fail(MELISSA_ERR_ENVIRONMENT, "%s=%s: expected an integer in 0...%" PRIu32, name, text, UINT32_MAX);
    }
    *out = (uint32_t)v;
    return 0;
}

/* The path in `name`, or $MELISSA_STUDY_DIR/<file>; malloc'ed into *out. */
static int env_path(const char *name, const char *file, char **out)
{
    const char *text = getenv(name);
    if (text != NULL && *text != '\0') {
        *out = strdup(text);
    } else {
        const char *dir = getenv("MELISSA_STUDY_DIR");
        if (dir == NULL || *dir == '\0') {
            return fail(MELISSA_ERR_ENVIRONMENT, "%s is not set (nor MELISSA_STUDY_DIR)", name);
        }
        size_t n = strlen(dir) + strlen(file) + 2;
        *out = malloc(n);
        if (*out) snprintf(*out, n, "%s/%s", dir, file);
    }
    return *out ? 0 : fail(MELISSA_ERR_MEMORY, "out of memory");
}

/* Reads at most `max` bytes of a file; NUL-terminated; malloc'ed. -1 with errno on failure. */
static char *read_small_file(const char *path, size_t max, size_t *length)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buffer = malloc(max + 1);
    size_t n = 0;
    if (buffer == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n == max) {
            /* Too long: the caller sees length == max and decides. */
            break;
        }
        ssize_t r = read(fd, buffer + n, max - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buffer);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buffer[n] = '\0';
    *length = n;
    return buffer;
}

static int read_token(const char *path, char token[TOKEN_SIZE])
{
    size_t n = 0;
    char *text = read_small_file(path, 4096, &n);
    if (text == NULL) return fail(MELISSA_ERR_ENVIRONMENT, "cannot read the token file %s: %s", path, strerror(errno));
    size_t start = 0, end = n;
    while (start < end && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' || text[start] == '\t')) start++;
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == '\t')) end--;
    int ok = end - start == TOKEN_SIZE;
    for (size_t i = start; ok && i < end; i++) {
        char c = text[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    if (ok) memcpy(token, text + start, TOKEN_SIZE);
    free(text);
    if (!ok) return fail(MELISSA_ERR_ENVIRONMENT, "the token file %s does not hold 64 hex characters", path);
    return 0;
}

/*
 * Finds the JSON string value of `key` at the top level of a small JSON object
 * (the address file). Minimal: handles the escapes \" \\ \/; returns a
 * malloc'ed string or NULL.
 */
static char *json_string(const char *json, const char *key)
{
    size_t key_len = strlen(key);
    const char *p = json;
    while ((p = strchr(p, '"')) != NULL) {
        p++;
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '"') {
            const char *q = p + key_len + 1;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q != ':') {
                p = q;
                continue;
            }
            q++;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q != '"') return NULL;
            q++;
            size_t cap = strlen(q) + 1;
            char *out = malloc(cap);
            if (out == NULL) return NULL;
            size_t n = 0;
            for (; *q && *q != '"'; q++) {
                if (*q == '\\') {
                    q++;
                    if (*q != '"' && *q != '\\' && *q != '/') {
                        free(out);
                        return NULL;
                    }
                }
                out[n++] = *q;
            }
            if (*q != '"') {
                free(out);
                return NULL;
            }
            out[n] = '\0';
            return out;
        }
        /* skip the rest of this string */
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            p++;
        }
        if (*p) p++;
    }
    return NULL;
}

/* ---------------------------------------------------------- offline mode */

/*
 * docs/offline.md: with MELISSA_OFFLINE_DIR set, the fields go to
 * $MELISSA_OFFLINE_DIR/sim-<id>/<field>.npy (NPY 1.0, '<f4', shape (time steps,
 * global size)) and melissa_finalize writes complete.json; no server, no token.
 */

enum { NPY_ALIGN = 64, NPY_MAX_HEADER = 256, MAX_OFFLINE_NAME = 251 };

#define COMPLETE_JSON "complete.json"
#define COMPLETE_TMP "complete.json.tmp"

/* $MELISSA_OFFLINE_DIR when set and non-empty, else NULL. */
static const char *offline_env(void)
{
    const char *dir = getenv("MELISSA_OFFLINE_DIR");
    return dir != NULL && *dir != '\0' ? dir : NULL;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += len;
    }
    return 1;
}

/* Why `name` cannot be an offline field's file name (<name>.npy), or NULL when it can. */
static const char *offline_name_problem(const char *name)
{
    size_t n = strlen(name);
    if (strchr(name, '/') != NULL) return "it contains '/'";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return "it is \".\" or \"..\"";
    if (name[0] == '.') return "it starts with '.'";
    if (n > MAX_OFFLINE_NAME) return "it is longer than 251 bytes (<field>.npy must fit in 255)";
    if (!utf8_valid((const unsigned char *)name, n)) return "it is not valid UTF-8 (complete.json names it)";
    return NULL;
}

/* "<a>/<b><c>", malloc'ed (NULL when out of memory). */
static char *join_path(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 2;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s/%s%s", a, b, c);
    return out;
}

/* mkdir -p; -1 with errno on failure. */
static int make_directories(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir(path, 0777);
        int e = errno;
        *p = '/';
        if (r != 0 && e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* pwrite all of it; -1 with errno on failure (ENOSPC for a write that makes no progress). */
static int pwrite_all(int fd, const void *data, size_t length, uint64_t offset)
{
    const unsigned char *p = data;
    while (length > 0) {
        ssize_t w = pwrite(fd, p, length, (off_t)offset);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        length -= (size_t)w;
        offset += (uint64_t)w;
    }
    return 0;
}

/* Best effort: makes a directory's entries (a rename, an unlink) durable. */
static void sync_directory(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/*
 * The NPY 1.0 header of a C-order '<f4' array of shape (rows, columns): magic, version,
 * header length, the dict padded with spaces and ended by '\n' so that the data start at a
 * multiple of 64 bytes (128 for any shape). Returns its length.
 */
static size_t npy_header(unsigned char out[NPY_MAX_HEADER], uint32_t rows, uint64_t columns)
{
    char dict[NPY_MAX_HEADER];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%" PRIu32 ", %" PRIu64 "), }", rows, columns);
    size_t total = 10 + (size_t)n + 1;
    total = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    put16(out + 8, (uint16_t)(total - 10));
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}

/* Appends `text` to a JSON string body (", \\ and control characters escaped). */
static char *json_escape(char *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            *out++ = '\\';
            *out++ = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            out += sprintf(out, "\\u%04x", *c);
        } else {
            *out++ = (char)*c;
        }
    }
    return out;
}

/* ---------------------------------------------------------------- fields */

static field_t *find_field(const char *name)
{
    for (size_t i = 0; i < g.nfields; i++) {
        if (strcmp(g.fields[i].name, name) == 0) return &g.fields[i];
    }
    return NULL;
}

static int64_t name_hash(const char *name, uint64_t index)
{
    uint64_t h = 1469598103934665603ull ^ index;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = (h ^ *c) * 1099511628211ull;
    return (int64_t)(h >> 2); /* non-negative, so that -h is representable */
}

static void reset_state(void)
{
    for (size_t i = 0; i < g.nfields; i++) {
        free(g.fields[i].name);
        free(g.fields[i].path);
        if (g.fields[i].fd >= 0) close(g.fields[i].fd);
    }
    free(g.push);
    free(g.offline_dir);
    free(g.scratch);
    memset(&g, 0, sizeof g); /* also wipes the ephemeral CURVE secret key */
    g.comm = MPI_COMM_NULL;
    g.user_comm = MPI_COMM_NULL;
}

static int init_common(const char *field_name, size_t local_size, MPI_Comm comm)
{
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag) return fail(MELISSA_ERR_STATE, "melissa_init: MPI is not initialised (call MPI_Init first, or melissa_init_world)");
    MPI_Finalized(&flag);
    if (flag) return fail(MELISSA_ERR_STATE, "melissa_init: MPI is finalised");
    if (comm == MPI_COMM_NULL) return fail(MELISSA_ERR_ARGUMENT, "melissa_init: the communicator is MPI_COMM_NULL");
    if (g.registered) {
        return fail(MELISSA_ERR_STATE, "melissa_init(\"%s\"): fields must be declared before the first melissa_send",
                    field_name ? field_name : "(null)");
    }
    if (g.initialised) {
        int same = MPI_UNEQUAL;
        MPI_Comm_compare(comm, g.user_comm, &same);
        if (same != MPI_IDENT) {
            return fail(MELISSA_ERR_ARGUMENT, "melissa_init: every field must use the communicator of the first melissa_init");
        }
    } else {
        reset_state();
        if (MPI_Comm_dup(comm, &g.comm) != MPI_SUCCESS) return fail(MELISSA_ERR_MPI, "melissa_init: MPI_Comm_dup failed");
        g.user_comm = comm;
        MPI_Comm_rank(g.comm, &g.rank);
        MPI_Comm_size(g.comm, &g.size);
        g.initialised = 1;
    }

    /* Local checks, then agree on them collectively so that no rank is left in a collective. */
    int local_status = 0;
    size_t name_len = field_name ? strlen(field_name) : 0;
    if (field_name == NULL || name_len == 0 || name_len > MAX_NAME) {
        local_status = fail(MELISSA_ERR_ARGUMENT, "melissa_init: a field name has 1 to %d bytes", MAX_NAME);
    } else if (find_field(field_name) != NULL) {
        local_status = fail(MELISSA_ERR_ARGUMENT, "melissa_init: field \"%s\" declared twice", field_name);
    } else if (g.nfields == MAX_FIELDS) {
        local_status = fail(MELISSA_ERR_ARGUMENT, "melissa_init: at most %d fields", MAX_FIELDS);
    } else if (offline_env() != NULL && offline_name_problem(field_name) != NULL) {
        /* Checked again on rank 0 at registration, which decides the mode. */
        local_status = fail(MELISSA_ERR_ARGUMENT, "melissa_init(\"%s\"): offline mode (MELISSA_OFFLINE_DIR) needs field names usable as file names: %s",
                            field_name, offline_name_problem(field_name));
    }
    int64_t h = local_status == 0 ? name_hash(field_name, g.nfields) : 0;
    int64_t check[3] = {local_status == 0 ? 1 : 0, h, -h};
    if (MPI_Allreduce(MPI_IN_PLACE, check, 3, MPI_INT64_T, MPI_MIN, g.comm) != MPI_SUCCESS) {
        return fail(MELISSA_ERR_MPI, "melissa_init: MPI_Allreduce failed");
    }
    if (local_status != 0) return local_status;
    if (check[0] == 0) return fail(MELISSA_ERR_ARGUMENT, "melissa_init(\"%s\"): the call failed on another rank", field_name);
    if (check[1] != -check[2]) {
        return fail(MELISSA_ERR_MPI, "melissa_init(\"%s\"): the ranks declare different fields (or in another order)", field_name);
    }

    uint64_t local = (uint64_t)local_size, offset = 0, global = 0;
    if (MPI_Exscan(&local, &offset, 1, MPI_UINT64_T, MPI_SUM, g.comm) != MPI_SUCCESS ||
        MPI_Allreduce(&local, &global, 1, MPI_UINT64_T, MPI_SUM, g.comm) != MPI_SUCCESS) {
        return fail(MELISSA_ERR_MPI, "melissa_init: MPI_Exscan/MPI_Allreduce failed");
    }
    if (g.rank == 0) offset = 0; /* MPI_Exscan leaves rank 0's result undefined */

    field_t *f = &g.fields[g.nfields];
    f->name = strdup(field_name);
    if (f->name == NULL) return fail(MELISSA_ERR_MEMORY, "out of memory");
    f->name_len = name_len;
    f->local_size = local;
    f->offset = offset;
    f->global_size = global;
    f->steps_sent = 0;
    f->fd = -1;
    f->path = NULL;
    f->data_offset = 0;
    g.nfields++;
    return MELISSA_OK;
}

int melissa_init(const char *field_name, size_t local_size, MPI_Comm comm)
{
    return init_common(field_name, local_size, comm);
}

int melissa_init_f(const char *field_name, size_t local_size, MPI_Fint comm)
{
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag) return fail(MELISSA_ERR_STATE, "melissa_init_f: MPI is not initialised");
    return init_common(field_name, local_size, MPI_Comm_f2c(comm));
}

int melissa_init_world(const char *field_name, size_t local_size)
{
    int flag = 0, own = 0;
    MPI_Initialized(&flag);
    if (!flag) {
        if (MPI_Init(NULL, NULL) != MPI_SUCCESS) return fail(MELISSA_ERR_MPI, "melissa_init_world: MPI_Init failed");
        own = 1;
    }
    int status = init_common(field_name, local_size, MPI_COMM_WORLD);
    if (own) g.own_mpi = 1; /* set after init_common, which may reset the state */
    return status;
}

int melissa_set_time_steps(uint32_t time_steps)
{
    if (g.registered) return fail(MELISSA_ERR_STATE, "melissa_set_time_steps: call it before the first melissa_send");
    g.time_steps = time_steps;
    g.time_steps_set = 1;
    return MELISSA_OK;
}

/* ----------------------------------------------------------- registration */

/* Everything rank 0 broadcasts after registering. */
typedef struct {
    int32_t status;
    uint32_t refuse_reason;
    uint32_t sim_id;
    uint32_t attempt;
    uint32_t time_steps;
    uint32_t body_length; /* accept message, or error text */
} outcome_t;

/* Validates an accept message; fills the endpoints when `endpoints` is not NULL. */
static int parse_accept(const unsigned char *msg, size_t len, uint64_t *session, uint32_t *count, char ***endpoints)
{
    if (len < 20) return fail(MELISSA_ERR_PROTOCOL, "accept: %zu bytes, shorter than its 20-byte header", len);
    uint32_t r = get32(msg + 16);
    if (r == 0 || r > MAX_ENDPOINTS) return fail(MELISSA_ERR_PROTOCOL, "accept: %" PRIu32 " training ranks (expected 1...%u)", r, MAX_ENDPOINTS);
    size_t pos = 20;
    char **list = NULL;
    if (endpoints) {
        list = calloc(r, sizeof *list);
        if (list == NULL) return fail(MELISSA_ERR_MEMORY, "out of memory");
    }
    int status = 0;
    for (uint32_t i = 0; i < r && status == 0; i++) {
        if (len - pos < 2) {
            status = fail(MELISSA_ERR_PROTOCOL, "accept: truncated at endpoint %" PRIu32, i);
            break;
        }
        uint16_t n = get16(msg + pos);
        pos += 2;
        if (n == 0 || n > MAX_ENDPOINT_BYTES || len - pos < n) {
            status = fail(MELISSA_ERR_PROTOCOL, "accept: endpoint %" PRIu32 " has a bad length (%u)", i, n);
            break;
        }
        for (size_t k = 0; k < n; k++) {
            if (msg[pos + k] < 0x21 || msg[pos + k] > 0x7e) {
                status = fail(MELISSA_ERR_PROTOCOL, "accept: endpoint %" PRIu32 " holds a non-printable byte", i);
                break;
            }
        }
        if (status == 0 && list) {
            list[i] = malloc((size_t)n + 1);
            if (list[i] == NULL) {
                status = fail(MELISSA_ERR_MEMORY, "out of memory");
                break;
            }
            memcpy(list[i], msg + pos, n);
            list[i][n] = '\0';
        }
        pos += n;
    }
    if (status == 0 && pos != len) status = fail(MELISSA_ERR_PROTOCOL, "accept: %zu trailing bytes", len - pos);
    if (status != 0) {
        if (list) {
            for (uint32_t i = 0; i < r; i++) free(list[i]);
            free(list);
        }
        return status;
    }
    *session = get64(msg + 8);
    *count = r;
    if (endpoints) *endpoints = list;
    return 0;
}

static void free_endpoints(char **list, uint32_t count)
{
    if (list == NULL) return;
    for (uint32_t i = 0; i < count; i++) free(list[i]);
    free(list);
}

static int is_z85_key(const char *key)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(key) != 40) return 0;
    for (const char *c = key; *c; c++) {
        if (strchr(alphabet, *c) == NULL) return 0;
    }
    return 1;
}

/*
 * Waits (bounded) for the address file and returns its registration endpoint, and its
 * "curve_server_key" (40 Z85 characters) into server_key when there is one ("" otherwise).
 */
static int wait_for_registration_endpoint(const char *path, double timeout, char **endpoint, char server_key[41])
{
    double deadline = now_seconds() + timeout;
    const char *why = "it does not exist";
    char reason[256];
    for (;;) {
        size_t n = 0;
        char *text = read_small_file(path, 1 << 20, &n);
        if (text != NULL) {
            *endpoint = json_string(text, "registration");
            char *key = json_string(text, "curve_server_key");
            free(text);
            if (*endpoint != NULL && **endpoint != '\0') {
                server_key[0] = '\0';
                if (key != NULL) {
                    int ok = is_z85_key(key);
                    if (ok) memcpy(server_key, key, 41);
                    free(key);
                    if (!ok) {
                        free(*endpoint);
                        *endpoint = NULL;
                        return fail(MELISSA_ERR_ENVIRONMENT, "the address file %s: \"curve_server_key\" is not 40 Z85 characters", path);
                    }
                }
                return 0;
            }
            free(key);
            free(*endpoint);
            *endpoint = NULL;
            why = "it has no \"registration\" endpoint";
        } else if (errno != ENOENT) {
            snprintf(reason, sizeof reason, "%s", strerror(errno));
            why = reason;
        }
        if (now_seconds() >= deadline) break;
        sleep_seconds(0.1);
    }
    return fail(MELISSA_ERR_TIMEOUT,
                "no server after %.0f s: the address file %s is not usable (%s); is the server running? "
                "(MELISSA_CONNECT_TIMEOUT sets the wait)",
                timeout, path, why);
}

/* An ephemeral CURVE key pair for this process (the server requires encryption). */
static int make_curve_keys(void)
{
    if (!zmq_has("curve")) {
        return fail(MELISSA_ERR_ZMQ, "the server requires CURVE encryption (curve_server_key) but this libzmq has no CURVE support");
    }
    if (zmq_curve_keypair(g.curve_public_key, g.curve_secret_key) != 0) {
        return fail(MELISSA_ERR_ZMQ, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
    }
    return 0;
}

/* Makes a client socket a CURVE client of the server, when the server requires it. */
static int apply_curve(void *socket)
{
    if (!g.curve) return 0;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, g.curve_server_key, 41) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, g.curve_public_key, 41) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, g.curve_secret_key, 41) != 0) {
        return fail(MELISSA_ERR_ZMQ, "CURVE socket options: %s", zmq_strerror(zmq_errno()));
    }
    return 0;
}

/* Rank 0: register; on success the accept message is malloc'ed into *body. */
static int register_rank0(outcome_t *out, unsigned char **body)
{
    char *address_file = NULL, *token_file = NULL, *endpoint = NULL;
    char token[TOKEN_SIZE];
    void *socket = NULL;
    unsigned char *msg = NULL;
    double timeout = 300;
    int status;

    if ((status = env_u32("MELISSA_SIMULATION_ID", 1, 0, &out->sim_id)) != 0) goto done;
    if ((status = env_u32("MELISSA_ATTEMPT", 0, 0, &out->attempt)) != 0) goto done;
    if (g.time_steps_set) {
        out->time_steps = g.time_steps;
    } else if ((status = env_u32("MELISSA_TIME_STEPS", 1, 0, &out->time_steps)) != 0) {
        goto done;
    }
    if ((status = env_seconds("MELISSA_CONNECT_TIMEOUT", 300, &timeout)) != 0) goto done;
    if ((status = env_path("MELISSA_TOKEN_FILE", "token", &token_file)) != 0) goto done;
    if ((status = env_path("MELISSA_SERVER_ADDRESS_FILE", "server.address", &address_file)) != 0) goto done;
    if ((status = read_token(token_file, token)) != 0) goto done;
    if ((status = wait_for_registration_endpoint(address_file, timeout, &endpoint, g.curve_server_key)) != 0) goto done;
    g.curve = g.curve_server_key[0] != '\0';
    if (g.curve && (status = make_curve_keys()) != 0) goto done;

    /* register message */
    size_t len = 90;
    for (size_t i = 0; i < g.nfields; i++) len += 2 + g.fields[i].name_len + 8;
    msg = malloc(len);
    if (msg == NULL) {
        status = fail(MELISSA_ERR_MEMORY, "out of memory");
        goto done;
    }
    put_preamble(msg, KIND_REGISTER);
    memcpy(msg + 8, token, TOKEN_SIZE);
    put32(msg + 72, out->sim_id);
    put32(msg + 76, out->attempt);
    put32(msg + 80, (uint32_t)g.size);
    put32(msg + 84, out->time_steps);
    put16(msg + 88, (uint16_t)g.nfields);
    size_t pos = 90;
    for (size_t i = 0; i < g.nfields; i++) {
        put16(msg + pos, (uint16_t)g.fields[i].name_len);
        memcpy(msg + pos + 2, g.fields[i].name, g.fields[i].name_len);
        put64(msg + pos + 2 + g.fields[i].name_len, g.fields[i].global_size);
        pos += 2 + g.fields[i].name_len + 8;
    }

    /* DEALER in the REQ envelope: an empty delimiter frame, then the message. */
    socket = zmq_socket(g.zctx, ZMQ_DEALER);
    int zero = 0, send_ms = to_ms(timeout);
    if (socket == NULL || zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(socket, ZMQ_SNDTIMEO, &send_ms, sizeof send_ms) != 0) {
        status = fail(MELISSA_ERR_ZMQ, "registration socket: %s", zmq_strerror(zmq_errno()));
        goto done;
    }
    if ((status = apply_curve(socket)) != 0) goto done;
    if (zmq_connect(socket, endpoint) != 0) {
        status = fail(MELISSA_ERR_ZMQ, "cannot connect to the registration endpoint \"%s\": %s", endpoint, zmq_strerror(zmq_errno()));
        goto done;
    }
    if (zmq_send(socket, "", 0, ZMQ_SNDMORE) != 0 || zmq_send(socket, msg, len, 0) != (int)len) {
        status = fail(MELISSA_ERR_TIMEOUT, "cannot send the registration to %s: %s", endpoint, zmq_strerror(zmq_errno()));
        goto done;
    }

    double deadline = now_seconds() + timeout;
    zmq_msg_t part;
    zmq_msg_init(&part);
    int got = 0;
    for (;;) {
        double left = deadline - now_seconds();
        if (left <= 0) break;
        zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
        long ms = (long)(left * 1000) + 1;
        int rc = zmq_poll(&item, 1, ms > 1000 ? 1000 : ms);
        if (rc < 0 && zmq_errno() == EINTR) continue;
        if (rc < 0) {
            zmq_msg_close(&part);
            status = fail(MELISSA_ERR_ZMQ, "waiting for the registration answer: %s", zmq_strerror(zmq_errno()));
            goto done;
        }
        if (rc > 0) {
            got = 1;
            break;
        }
    }
    if (!got) {
        zmq_msg_close(&part);
        status = fail(MELISSA_ERR_TIMEOUT, "the server at %s did not answer the registration within %.0f s", endpoint, timeout);
        goto done;
    }
    /* Receive every frame; keep the first non-empty one (skip an empty delimiter). */
    size_t frames = 0;
    unsigned char *answer = NULL;
    size_t answer_len = 0;
    int more = 1;
    while (more) {
        if (zmq_msg_recv(&part, socket, 0) < 0) {
            if (zmq_errno() == EINTR) continue;
            free(answer);
            zmq_msg_close(&part);
            status = fail(MELISSA_ERR_ZMQ, "receiving the registration answer: %s", zmq_strerror(zmq_errno()));
            goto done;
        }
        frames++;
        more = zmq_msg_more(&part);
        size_t n = zmq_msg_size(&part);
        if (answer == NULL && n > 0 && frames <= 2) {
            if (n > MAX_ANSWER_BYTES) {
                zmq_msg_close(&part);
                status = fail(MELISSA_ERR_PROTOCOL, "registration answer of %zu bytes (at most %u)", n, MAX_ANSWER_BYTES);
                goto done;
            }
            answer = malloc(n);
            if (answer == NULL) {
                zmq_msg_close(&part);
                status = fail(MELISSA_ERR_MEMORY, "out of memory");
                goto done;
            }
            memcpy(answer, zmq_msg_data(&part), n);
            answer_len = n;
        }
    }
    zmq_msg_close(&part);
    if (answer == NULL || frames > 2) {
        free(answer);
        status = fail(MELISSA_ERR_PROTOCOL, "registration answer: expected one message frame (after an optional empty delimiter), got %zu frames", frames);
        goto done;
    }

    if (answer_len < PREAMBLE_SIZE || memcmp(answer, "MLSA", 4) != 0) {
        free(answer);
        status = fail(MELISSA_ERR_PROTOCOL, "registration answer: bad magic");
        goto done;
    }
    uint16_t kind = get16(answer + 6), version = get16(answer + 4);
    if (kind == KIND_REFUSE && answer_len >= 14) {
        /* Any version: a server answers an incompatible client in its own version. */
        uint32_t reason = get32(answer + 8);
        uint16_t n = get16(answer + 12);
        size_t avail = answer_len - 14;
        size_t shown = n < avail ? n : avail;
        if (shown > 600) shown = 600;
        char text[601];
        for (size_t i = 0; i < shown; i++) {
            unsigned char c = answer[14 + i];
            text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        text[shown] = '\0';
        out->refuse_reason = reason;
        status = fail(MELISSA_ERR_REFUSED, "the server refused simulation %" PRIu32 " (attempt %" PRIu32 "): %s (reason %" PRIu32 "%s): %s",
                      out->sim_id, out->attempt, refuse_reason_text(reason), reason,
                      version != MELISSA_PROTOCOL_VERSION ? ", server speaks another protocol version" : "", text);
        free(answer);
        goto done;
    }
    if (version != MELISSA_PROTOCOL_VERSION) {
        free(answer);
        status = fail(MELISSA_ERR_PROTOCOL, "registration answer: protocol version %u (this client speaks %d)", version, MELISSA_PROTOCOL_VERSION);
        goto done;
    }
    if (kind != KIND_ACCEPT) {
        free(answer);
        status = fail(MELISSA_ERR_PROTOCOL, "registration answer: message kind %u (expected accept or refuse)", kind);
        goto done;
    }
    uint64_t session;
    uint32_t count;
    if ((status = parse_accept(answer, answer_len, &session, &count, NULL)) != 0) {
        free(answer);
        goto done;
    }
    *body = answer;
    out->body_length = (uint32_t)answer_len;

done:
    if (socket) zmq_close(socket);
    free(msg);
    free(address_file);
    free(token_file);
    free(endpoint);
    out->status = status;
    return status;
}

/*
 * Rank 0, offline: the simulation's identity from the environment as online (no token, no
 * address file, no server), then $MELISSA_OFFLINE_DIR/sim-<id>/ made (mkdir -p), its stale
 * complete.json removed, and every field file recreated: the NPY header, then the full size
 * in zeros (ftruncate), before any rank writes. On success *body is the directory (malloc'ed).
 */
static int prepare_offline_rank0(const char *root, outcome_t *out, unsigned char **body)
{
    char *dir = NULL, *path = NULL;
    int fd = -1;
    int status;

    if ((status = env_u32("MELISSA_SIMULATION_ID", 1, 0, &out->sim_id)) != 0) goto done;
    if ((status = env_u32("MELISSA_ATTEMPT", 0, 0, &out->attempt)) != 0) goto done;
    if (g.time_steps_set) {
        out->time_steps = g.time_steps;
    } else if ((status = env_u32("MELISSA_TIME_STEPS", 1, 0, &out->time_steps)) != 0) {
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < g.nfields; i++) {
        const field_t *f = &g.fields[i];
        const char *why = offline_name_problem(f->name);
        if (why != NULL) {
            status = fail(MELISSA_ERR_ARGUMENT, "offline mode (MELISSA_OFFLINE_DIR) needs field names usable as file names: \"%s\": %s", f->name, why);
            goto done;
        }
        uint64_t limit = ((uint64_t)INT64_MAX - NPY_MAX_HEADER) / 4;
        uint64_t bytes = 0;
        if (out->time_steps > 0 && f->global_size > limit / out->time_steps) {
            bytes = UINT64_MAX;
        } else {
            bytes = NPY_MAX_HEADER + 4 * (uint64_t)out->time_steps * f->global_size;
        }
        if (bytes == UINT64_MAX || bytes > (uint64_t)INT64_MAX - total) {
            status = fail(MELISSA_ERR_ARGUMENT, "offline: field \"%s\" (%" PRIu32 " time steps of %" PRIu64 " values) is too large for a file",
                          f->name, out->time_steps, f->global_size);
            goto done;
        }
        total += bytes;
    }

    char name[32];
    snprintf(name, sizeof name, "sim-%" PRIu32, out->sim_id);
    if ((dir = join_path(root, name, "")) == NULL) {
        status = fail(MELISSA_ERR_MEMORY, "out of memory");
        goto done;
    }
    if (make_directories(dir) != 0) {
        status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot create the directory %s (MELISSA_OFFLINE_DIR): %s", dir, strerror(errno));
        goto done;
    }
    /* This attempt starts over: first the old attempt's mark goes, then its data. */
    if ((path = join_path(dir, COMPLETE_JSON, "")) == NULL) {
        status = fail(MELISSA_ERR_MEMORY, "out of memory");
        goto done;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot remove the previous attempt's %s: %s", path, strerror(errno));
        goto done;
    }
    sync_directory(dir);
    free(path);
    path = NULL;
    for (size_t i = 0; i < g.nfields; i++) {
        const field_t *f = &g.fields[i];
        if ((path = join_path(dir, f->name, ".npy")) == NULL) {
            status = fail(MELISSA_ERR_MEMORY, "out of memory");
            goto done;
        }
        /* A new file (not the old one truncated): a straggler of an earlier attempt cannot write into it. */
        if (unlink(path) != 0 && errno != ENOENT) {
            status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot remove the previous attempt's %s: %s", path, strerror(errno));
            goto done;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot create %s: %s", path, strerror(errno));
            goto done;
        }
        unsigned char header[NPY_MAX_HEADER];
        size_t header_len = npy_header(header, out->time_steps, f->global_size);
        uint64_t size = header_len + 4 * (uint64_t)out->time_steps * f->global_size;
        if (pwrite_all(fd, header, header_len, 0) != 0 || ftruncate(fd, (off_t)size) != 0) {
            status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot write %s (%" PRIu64 " bytes): %s", path, size, strerror(errno));
            goto done;
        }
        int closed = close(fd);
        fd = -1;
        if (closed != 0) {
            status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot write %s: %s", path, strerror(errno));
            goto done;
        }
        free(path);
        path = NULL;
    }
    sync_directory(dir);
    out->body_length = (uint32_t)strlen(dir);
    *body = (unsigned char *)dir;
    dir = NULL;

done:
    if (fd >= 0) close(fd);
    free(path);
    free(dir);
    out->status = status;
    return status;
}

/*
 * Every rank, offline: opens the field files rank 0 made in `dir` (not NUL-terminated; NULL
 * when this rank could not receive it); the outcome is agreed over the ranks.
 */
static int open_offline_files(const unsigned char *dir, uint32_t length)
{
    enum { SCRATCH_VALUES = 1 << 18 }; /* 1 MiB of float32 */
    int status = 0;
    g.offline = 1;
    if (dir != NULL) g.offline_dir = malloc((size_t)length + 1);
    if (g.offline_dir == NULL) {
        status = fail(MELISSA_ERR_MEMORY, "out of memory");
    } else {
        memcpy(g.offline_dir, dir, length);
        g.offline_dir[length] = '\0';
    }
    uint64_t largest = 0;
    for (size_t i = 0; i < g.nfields && status == 0; i++) {
        field_t *f = &g.fields[i];
        unsigned char header[NPY_MAX_HEADER];
        f->data_offset = npy_header(header, g.time_steps, f->global_size);
        if (f->local_size > largest) largest = f->local_size;
        if ((f->path = join_path(g.offline_dir, f->name, ".npy")) == NULL) {
            status = fail(MELISSA_ERR_MEMORY, "out of memory");
        } else if ((f->fd = open(f->path, O_WRONLY | O_CLOEXEC)) < 0) {
            status = fail(MELISSA_ERR_ENVIRONMENT, "offline: cannot open %s: %s", f->path, strerror(errno));
        }
    }
    if (status == 0 && largest > 0) {
        g.scratch_count = largest < SCRATCH_VALUES ? (size_t)largest : SCRATCH_VALUES;
        g.scratch = malloc(g.scratch_count * sizeof *g.scratch);
        if (g.scratch == NULL) status = fail(MELISSA_ERR_MEMORY, "out of memory");
    }
    int worst = status;
    if (MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, g.comm) != MPI_SUCCESS) {
        return fail(MELISSA_ERR_MPI, "registration: MPI_Allreduce failed");
    }
    if (status != 0) return status;
    if (worst != 0) return fail(worst, "offline: another rank could not open the field files in %s", g.offline_dir);
    return 0;
}

static int open_data_sockets(char **endpoints, uint32_t count)
{
    g.push = calloc(count, sizeof *g.push);
    if (g.push == NULL) return fail(MELISSA_ERR_MEMORY, "out of memory");
    g.nendpoints = count;
    if (g.hwm == 0) {
        /* Queue at most about MELISSA_SEND_BUFFER_MIB of this rank's largest chunk over all
           endpoints, between 4 and 1000 messages per endpoint (the default of ZeroMQ). */
        uint64_t largest = 1;
        for (size_t i = 0; i < g.nfields; i++) {
            if (g.fields[i].local_size * 8 > largest) largest = g.fields[i].local_size * 8;
        }
        uint64_t per_endpoint = g.buffer_bytes / largest / count;
        g.hwm = per_endpoint < 4 ? 4 : per_endpoint > 1000 ? 1000 : (int)per_endpoint;
    }
    for (uint32_t i = 0; i < count; i++) {
        void *s = zmq_socket(g.zctx, ZMQ_PUSH);
        if (s == NULL) return fail(MELISSA_ERR_ZMQ, "data socket: %s", zmq_strerror(zmq_errno()));
        g.push[i] = s;
        if (zmq_setsockopt(s, ZMQ_LINGER, &g.linger_ms, sizeof g.linger_ms) != 0 ||
            zmq_setsockopt(s, ZMQ_SNDTIMEO, &g.send_timeout_ms, sizeof g.send_timeout_ms) != 0 ||
            zmq_setsockopt(s, ZMQ_SNDHWM, &g.hwm, sizeof g.hwm) != 0) {
            return fail(MELISSA_ERR_ZMQ, "data socket options: %s", zmq_strerror(zmq_errno()));
        }
        int status = apply_curve(s);
        if (status != 0) return status;
        if (zmq_connect(s, endpoints[i]) != 0) {
            return fail(MELISSA_ERR_ZMQ, "cannot connect to data endpoint %" PRIu32 " \"%s\": %s", i, endpoints[i], zmq_strerror(zmq_errno()));
        }
    }
    return 0;
}

/* Every rank's own settings of online mode and its ZeroMQ context; 0 or a failure status. */
static int online_locals(void)
{
    double send_timeout = 300, linger = 300;
    uint32_t hwm = 0, buffer_mib = 256;
    int status = 0;
    /* Every rank reads its own timeouts and queue bounds (they only bound local waits). */
    if ((status = env_seconds("MELISSA_SEND_TIMEOUT", 300, &send_timeout)) == 0 &&
        (status = env_seconds("MELISSA_LINGER", 300, &linger)) == 0 &&
        (status = env_u32("MELISSA_SEND_HWM", 0, 0, &hwm)) == 0 &&
        (status = env_u32("MELISSA_SEND_BUFFER_MIB", 0, 256, &buffer_mib)) == 0) {
        g.send_timeout_ms = to_ms(send_timeout);
        g.linger_ms = to_ms(linger);
        g.hwm = hwm > INT_MAX ? INT_MAX : (int)hwm; /* 0: derived from the buffer when the endpoints are known */
        g.buffer_bytes = (uint64_t)(buffer_mib ? buffer_mib : 1) << 20;
    }
    g.zctx = zmq_ctx_new();
    if (g.zctx == NULL && status == 0) status = fail(MELISSA_ERR_ZMQ, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    /* one PUSH per training rank, plus the registration socket (ZeroMQ's default is 1023) */
    if (g.zctx != NULL) zmq_ctx_set(g.zctx, ZMQ_MAX_SOCKETS, (int)MAX_ENDPOINTS + 8);
    return status;
}

/*
 * Collective: rank 0 registers (online) or prepares the files (offline: MELISSA_OFFLINE_DIR
 * in rank 0's environment), everybody learns the outcome and the mode, and connects (online)
 * or opens the files (offline).
 */
static int do_register(void)
{
    g.registered = 1;
    /* A rank that sees MELISSA_OFFLINE_DIR prepares nothing of online mode unless rank 0 says online. */
    const char *offline_dir = offline_env();
    /* Even a local failure must take part in the broadcasts below. */
    int local_status = offline_dir == NULL ? online_locals() : 0;
    int status = 0;
    char local_error[sizeof last_error];
    memcpy(local_error, last_error, sizeof last_error);

    outcome_t outcome;
    memset(&outcome, 0, sizeof outcome);
    unsigned char *body = NULL;
    if (g.rank == 0) {
        if (local_status != 0) {
            outcome.status = local_status;
        } else if (offline_dir != NULL) {
            prepare_offline_rank0(offline_dir, &outcome, &body);
        } else {
            register_rank0(&outcome, &body);
        }
        if (outcome.status != 0) {
            body = (unsigned char *)strdup(last_error);
            outcome.body_length = body ? (uint32_t)strlen(last_error) : 0;
        }
    }
    uint32_t header[8] = {(uint32_t)outcome.status, outcome.refuse_reason, outcome.sim_id, outcome.attempt, outcome.time_steps,
                          outcome.body_length, (uint32_t)g.curve, offline_dir != NULL};
    if (MPI_Bcast(header, 8, MPI_UINT32_T, 0, g.comm) != MPI_SUCCESS) {
        free(body);
        return g.failed = fail(MELISSA_ERR_MPI, "registration: MPI_Bcast failed");
    }
    outcome.status = (int32_t)header[0];
    outcome.refuse_reason = header[1];
    outcome.sim_id = header[2];
    outcome.attempt = header[3];
    outcome.time_steps = header[4];
    outcome.body_length = header[5];
    int offline = header[7] != 0;
    if (!offline && offline_dir != NULL && local_status == 0) {
        /* This rank sees MELISSA_OFFLINE_DIR but rank 0, which decides, does not. */
        if ((local_status = online_locals()) != 0) memcpy(local_error, last_error, sizeof last_error);
    }
    if (offline && g.zctx != NULL) {
        /* This rank does not see MELISSA_OFFLINE_DIR: its online settings do not apply. */
        while (zmq_ctx_term(g.zctx) != 0 && zmq_errno() == EINTR) {
        }
        g.zctx = NULL;
        local_status = 0;
    }
    if (header[6] != 0 && header[0] == 0) {
        /* The server key goes to every rank; each rank makes its own key pair. */
        if (MPI_Bcast(g.curve_server_key, 41, MPI_CHAR, 0, g.comm) != MPI_SUCCESS) {
            free(body);
            return g.failed = fail(MELISSA_ERR_MPI, "registration: MPI_Bcast of the server key failed");
        }
        g.curve_server_key[40] = '\0';
        if (g.rank != 0) {
            g.curve = 1;
            if (local_status == 0 && (local_status = make_curve_keys()) != 0) memcpy(local_error, last_error, sizeof last_error);
        }
    }
    if (g.rank != 0 && outcome.body_length > 0) {
        body = malloc(outcome.body_length + 1);
        /* A failed malloc cannot skip the collective: receive into a scratch byte stream instead. */
    }
    if (outcome.body_length > 0) {
        unsigned char *target = body;
        unsigned char *scratch = NULL;
        if (target == NULL) target = scratch = malloc(outcome.body_length); /* last resort */
        if (target == NULL || MPI_Bcast(target, (int)outcome.body_length, MPI_BYTE, 0, g.comm) != MPI_SUCCESS) {
            free(body);
            free(scratch);
            return g.failed = fail(MELISSA_ERR_MPI, "registration: MPI_Bcast of the answer failed");
        }
        free(scratch);
    }
    g.refuse_reason = (int)outcome.refuse_reason;
    last_refuse_reason = g.refuse_reason;
    if (outcome.status != 0) {
        if (g.rank != 0) {
            fail(outcome.status, "rank 0: %.*s", body ? (int)outcome.body_length : 0, body ? (const char *)body : "");
        }
        free(body);
        return g.failed = outcome.status;
    }
    if (offline) {
        /* Every rank takes part in the agreement of open_offline_files, even without the body. */
        g.sim_id = outcome.sim_id;
        g.attempt = outcome.attempt;
        g.time_steps = outcome.time_steps;
        status = open_offline_files(body, outcome.body_length);
        free(body);
        return g.failed = status;
    }
    if (body == NULL) return g.failed = fail(MELISSA_ERR_MEMORY, "out of memory");
    if (local_status != 0) {
        free(body);
        memcpy(last_error, local_error, sizeof last_error);
        return g.failed = local_status;
    }
    g.sim_id = outcome.sim_id;
    g.attempt = outcome.attempt;
    g.time_steps = outcome.time_steps;
    char **endpoints = NULL;
    uint32_t count = 0;
    status = parse_accept(body, outcome.body_length, &g.session, &count, &endpoints);
    free(body);
    if (status != 0) return g.failed = status;
    status = open_data_sockets(endpoints, count);
    free_endpoints(endpoints, count);
    if (status != 0) return g.failed = status;
    return 0;
}

/* ------------------------------------------------------------------- send */

static int send_frames(void *socket, const unsigned char *header, size_t header_len, const void *payload, size_t payload_len,
                       int element_size, const char *what)
{
    for (;;) {
        if (zmq_send(socket, header, header_len, payload ? ZMQ_SNDMORE : 0) == (int)header_len) break;
        if (zmq_errno() == EINTR) continue;
        if (zmq_errno() == EAGAIN) {
            return fail(MELISSA_ERR_TIMEOUT, "%s: the server did not take data for %.0f s (MELISSA_SEND_TIMEOUT)", what, g.send_timeout_ms / 1000.0);
        }
        return fail(MELISSA_ERR_ZMQ, "%s: %s", what, zmq_strerror(zmq_errno()));
    }
    if (payload == NULL) return 0;
    /* The values are copied into the message: the caller owns its buffer again on return. */
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, payload_len) != 0) return fail(MELISSA_ERR_MEMORY, "%s: out of memory", what);
    unsigned char *dst = zmq_msg_data(&msg);
    if (MELISSA_LITTLE_ENDIAN) {
        memcpy(dst, payload, payload_len);
    } else {
        const unsigned char *src = payload;
        for (size_t i = 0; i < payload_len; i += (size_t)element_size) {
            for (int b = 0; b < element_size; b++) dst[i + (size_t)b] = src[i + (size_t)(element_size - 1 - b)];
        }
    }
    for (;;) {
        /* Later frames of a multipart message never block on the high-water mark. */
        if (zmq_msg_send(&msg, socket, 0) >= 0) return 0;
        if (zmq_errno() == EINTR) continue;
        int e = zmq_errno();
        zmq_msg_close(&msg);
        return fail(MELISSA_ERR_ZMQ, "%s: %s", what, zmq_strerror(e));
    }
}

/*
 * Offline: this rank's chunk of time step g.step as float32 (doubles rounded to nearest),
 * written in place: data_offset + 4 (t · global_size + offset) of the field's file.
 */
static int write_offline(const field_t *f, const void *values, int element_type)
{
    if (f->local_size == 0) return 0;
    uint64_t offset = f->data_offset + 4 * ((uint64_t)g.step * f->global_size + f->offset);
    int failed = 0;
    if (element_type == ELEMENT_FLOAT32 && MELISSA_LITTLE_ENDIAN) {
        failed = pwrite_all(f->fd, values, (size_t)f->local_size * 4, offset) != 0;
    } else {
        for (uint64_t done = 0; done < f->local_size && !failed;) {
            size_t n = f->local_size - done < g.scratch_count ? (size_t)(f->local_size - done) : g.scratch_count;
            if (element_type == ELEMENT_FLOAT64) {
                const double *v = (const double *)values + done;
                for (size_t k = 0; k < n; k++) g.scratch[k] = (float)v[k];
            } else {
                memcpy(g.scratch, (const float *)values + done, n * sizeof(float));
            }
            if (!MELISSA_LITTLE_ENDIAN) {
                unsigned char *b = (unsigned char *)g.scratch;
                for (size_t k = 0; k < 4 * n; k += 4) {
                    unsigned char t0 = b[k], t1 = b[k + 1];
                    b[k] = b[k + 3];
                    b[k + 1] = b[k + 2];
                    b[k + 2] = t1;
                    b[k + 3] = t0;
                }
            }
            failed = pwrite_all(f->fd, g.scratch, n * sizeof(float), offset + 4 * done) != 0;
            done += n;
        }
    }
    if (failed) {
        return fail(MELISSA_ERR_ENVIRONMENT, "melissa_send(\"%s\"): cannot write time step %" PRIu32 " to %s: %s", f->name, g.step,
                    f->path, strerror(errno));
    }
    return 0;
}

static int send_common(const char *field_name, const void *values, int element_type)
{
    if (field_name == NULL) return fail(MELISSA_ERR_ARGUMENT, "melissa_send: the field name is NULL");
    if (!g.initialised) return fail(MELISSA_ERR_STATE, "melissa_send(\"%s\"): call melissa_init first", field_name);
    field_t *f = find_field(field_name);
    if (f == NULL) return fail(MELISSA_ERR_ARGUMENT, "melissa_send(\"%s\"): unknown field (not declared with melissa_init)", field_name);
    if (values == NULL && f->local_size > 0) return fail(MELISSA_ERR_ARGUMENT, "melissa_send(\"%s\"): values is NULL", field_name);
    if (!g.registered) do_register();
    if (g.failed) {
        if (last_error[0] == '\0') fail(g.failed, "registration failed");
        return g.failed;
    }
    if (f->steps_sent != g.step) {
        return fail(MELISSA_ERR_STATE, "melissa_send(\"%s\"): already sent in time step %" PRIu32 "; send every field once per step", field_name, g.step);
    }
    if (g.step >= g.time_steps) {
        return fail(MELISSA_ERR_TOO_MANY_STEPS, "melissa_send(\"%s\"): time step %" PRIu32 " but %" PRIu32 " registered (MELISSA_TIME_STEPS)", field_name, g.step, g.time_steps);
    }
    if (g.offline) {
        int status = write_offline(f, values, element_type);
        if (status != 0) return status;
    } else if (f->local_size > 0) {
        int element_size = element_type == ELEMENT_FLOAT64 ? 8 : 4;
        if (f->local_size > SIZE_MAX / (uint64_t)element_size) return fail(MELISSA_ERR_ARGUMENT, "melissa_send: field too large");
        unsigned char header[DATA_HEADER_SIZE];
        memset(header, 0, sizeof header);
        put_preamble(header, KIND_DATA);
        put32(header + 8, g.sim_id);
        put32(header + 12, g.attempt);
        put64(header + 16, g.session);
        put32(header + 24, g.step);
        put32(header + 28, (uint32_t)g.rank);
        put16(header + 32, (uint16_t)(f - g.fields));
        header[34] = (unsigned char)element_type;
        put64(header + 40, f->local_size);
        put64(header + 48, f->offset);
        uint32_t target = (uint32_t)(((uint64_t)g.sim_id + g.step) % g.nendpoints);
        int status = send_frames(g.push[target], header, sizeof header, values, (size_t)f->local_size * (size_t)element_size, element_size, "melissa_send");
        if (status != 0) return status;
    }
    f->steps_sent++;
    int complete = 1;
    for (size_t i = 0; i < g.nfields; i++) complete = complete && g.fields[i].steps_sent == g.step + 1;
    if (complete) g.step++;
    return MELISSA_OK;
}

int melissa_send(const char *field_name, const double *values) { return send_common(field_name, values, ELEMENT_FLOAT64); }

int melissa_send_float(const char *field_name, const float *values) { return send_common(field_name, values, ELEMENT_FLOAT32); }

/* --------------------------------------------------------------- finalize */

/* Rank 0, offline: complete.json, atomically (a temporary file, fsync, rename). */
static int write_complete_json(uint32_t steps_written)
{
    size_t cap = 512;
    for (size_t i = 0; i < g.nfields; i++) cap += 12 * g.fields[i].name_len + 128;
    char *json = malloc(cap);
    char *tmp = join_path(g.offline_dir, COMPLETE_TMP, "");
    char *final = join_path(g.offline_dir, COMPLETE_JSON, "");
    int status = 0;
    if (json == NULL || tmp == NULL || final == NULL) {
        status = fail(MELISSA_ERR_MEMORY, "out of memory");
        goto done;
    }
    char *p = json;
    p += sprintf(p, "{\"format\": \"melissa-offline-1\", \"simulation\": %" PRIu32 ", \"attempt\": %" PRIu32 ", \"time_steps\": %" PRIu32
                    ", \"steps_written\": %" PRIu32 ", \"fields\": [",
                 g.sim_id, g.attempt, g.time_steps, steps_written);
    uint64_t bytes = 0;
    for (size_t i = 0; i < g.nfields; i++) {
        const field_t *f = &g.fields[i];
        p += sprintf(p, "%s{\"name\": \"", i > 0 ? ", " : "");
        p = json_escape(p, f->name);
        p += sprintf(p, "\", \"size\": %" PRIu64 ", \"file\": \"", f->global_size);
        p = json_escape(p, f->name);
        p += sprintf(p, ".npy\"}");
        bytes += f->data_offset + 4 * (uint64_t)g.time_steps * f->global_size;
    }
    p += sprintf(p, "], \"bytes\": %" PRIu64 "}\n", bytes);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        status = fail(MELISSA_ERR_ENVIRONMENT, "melissa_finalize: cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    int e = 0;
    if (pwrite_all(fd, json, (size_t)(p - json), 0) != 0 || fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && e == 0) e = errno;
    if (e != 0) {
        unlink(tmp);
        status = fail(MELISSA_ERR_ENVIRONMENT, "melissa_finalize: cannot write %s: %s", tmp, strerror(e));
        goto done;
    }
    if (rename(tmp, final) != 0) {
        e = errno;
        unlink(tmp);
        status = fail(MELISSA_ERR_ENVIRONMENT, "melissa_finalize: cannot rename %s to %s: %s", tmp, final, strerror(e));
        goto done;
    }
    sync_directory(g.offline_dir);

done:
    free(json);
    free(tmp);
    free(final);
    return status;
}

/*
 * Offline, collective: every rank makes its part durable (fsync) and closes its files; when
 * every rank succeeded, rank 0 writes complete.json with the time steps complete on every
 * rank. Rank 0's outcome is returned on every rank.
 */
static int finalize_offline(void)
{
    int status = 0;
    for (size_t i = 0; i < g.nfields; i++) {
        field_t *f = &g.fields[i];
        if (f->fd < 0) continue;
        int e = fsync(f->fd) == 0 ? 0 : errno;
        if (close(f->fd) != 0 && e == 0) e = errno;
        f->fd = -1;
        if (e != 0 && status == 0) status = fail(MELISSA_ERR_ENVIRONMENT, "melissa_finalize: cannot write %s: %s", f->path, strerror(e));
    }
    int64_t mine[2] = {status != 0 ? -1 : 0, (int64_t)g.step}, all[2] = {0, 0};
    if (MPI_Allreduce(mine, all, 2, MPI_INT64_T, MPI_MIN, g.comm) != MPI_SUCCESS) {
        return fail(MELISSA_ERR_MPI, "melissa_finalize: MPI_Allreduce failed");
    }
    int outcome = 0;
    if (g.rank == 0) {
        if (status != 0) {
            outcome = status;
        } else if (all[0] != 0) {
            outcome = fail(MELISSA_ERR_ENVIRONMENT, "melissa_finalize: a rank could not write its part of the files in %s; no %s",
                           g.offline_dir, COMPLETE_JSON);
        } else {
            outcome = write_complete_json((uint32_t)all[1]);
        }
    }
    char message[sizeof last_error];
    memcpy(message, last_error, sizeof message);
    if (MPI_Bcast(&outcome, 1, MPI_INT, 0, g.comm) != MPI_SUCCESS ||
        (outcome != 0 && MPI_Bcast(message, (int)sizeof message, MPI_CHAR, 0, g.comm) != MPI_SUCCESS)) {
        return fail(MELISSA_ERR_MPI, "melissa_finalize: MPI_Bcast failed");
    }
    if (g.rank == 0 || status != 0) return g.rank == 0 ? outcome : status;
    if (outcome != 0) {
        message[sizeof message - 1] = '\0';
        return fail(outcome, "rank 0: %s", message);
    }
    return 0;
}

int melissa_finalize(void)
{
    if (!g.initialised) return MELISSA_OK;
    int status = 0;
    char error[sizeof last_error];
    error[0] = '\0';
    if (g.offline && g.registered && !g.failed) {
        status = finalize_offline();
        if (status != 0) memcpy(error, last_error, sizeof error);
    } else if (g.registered && !g.failed) {
        unsigned char finish[FINISH_SIZE];
        put_preamble(finish, KIND_FINISH);
        put32(finish + 8, g.sim_id);
        put32(finish + 12, g.attempt);
        put64(finish + 16, g.session);
        put32(finish + 24, (uint32_t)g.rank);
        put32(finish + 28, g.step);
        /* One MELISSA_SEND_TIMEOUT for all the finish messages together, not one per endpoint. */
        double deadline = now_seconds() + g.send_timeout_ms / 1000.0;
        for (uint32_t i = 0; i < g.nendpoints; i++) {
            int left = to_ms(deadline - now_seconds());
            if (left < 0) left = 0;
            zmq_setsockopt(g.push[i], ZMQ_SNDTIMEO, &left, sizeof left);
            int s = send_frames(g.push[i], finish, sizeof finish, NULL, 0, 1, "melissa_finalize (finish)");
            if (s != 0 && status == 0) {
                status = s;
                memcpy(error, last_error, sizeof error);
            }
        }
    }
    /* Close with linger: queued messages get MELISSA_LINGER seconds to leave. */
    double start = now_seconds();
    for (uint32_t i = 0; i < g.nendpoints; i++) {
        if (g.push[i]) zmq_close(g.push[i]);
    }
    if (g.zctx) {
        while (zmq_ctx_term(g.zctx) != 0 && zmq_errno() == EINTR) {
        }
    }
    double took = now_seconds() - start;
    /* ZeroMQ does not say whether the linger expired; a wait that lasted the whole linger did. */
    if (status == 0 && g.nendpoints > 0 && g.linger_ms >= 100 && took * 1000 >= g.linger_ms * 0.98) {
        status = MELISSA_ERR_TIMEOUT;
        snprintf(error, sizeof error, "melissa_finalize: queued data not delivered within %.0f s (MELISSA_LINGER); the rest was dropped", g.linger_ms / 1000.0);
    }
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) {
        if (g.comm != MPI_COMM_NULL) MPI_Comm_free(&g.comm);
        if (g.own_mpi) MPI_Finalize();
    }
    reset_state();
    if (status != 0) {
        memcpy(last_error, error, sizeof last_error);
    }
    return status;
}
