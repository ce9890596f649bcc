"""melissa client for Python: a ctypes binding of libmelissa_client.so.

    import numpy as np
    import melissa_client as melissa

    melissa.init("temperature", local_size)          # comm: an mpi4py communicator, optional
    for t in range(steps):
        melissa.send("temperature", u)                # a numpy float64 or float32 array
    melissa.finalize()

Failures raise MelissaError (status, name, message, refuse_reason). The library is found
through $MELISSA_CLIENT_LIBRARY, then <repo>/build/lib/libmelissa_client.so next to this
package (scripts/build-clients), then the loader's search path. See docs/client-api.md.
With MELISSA_OFFLINE_DIR set the library writes the fields to files instead (docs/offline.md).

Communicator: `init(name, size, comm)` takes an mpi4py communicator (passed as its Fortran
handle, `comm.py2f()`). Without `comm`, MPI.COMM_WORLD of mpi4py is used when mpi4py can be
imported; otherwise the library's `melissa_init_world` uses MPI_COMM_WORLD and initialises MPI
itself (then `finalize()` also finalises MPI). Run under `mpirun -np N python3 ...` or alone.
"""

import ctypes
import ctypes.util
import os

import numpy as np

__all__ = [
    "MelissaError",
    "init",
    "send",
    "set_time_steps",
    "finalize",
    "last_error",
    "refuse_reason",
    "library_path",
]

STATUS_NAMES = {
    0: "MELISSA_OK",
    1: "MELISSA_ERR_ARGUMENT",
    2: "MELISSA_ERR_STATE",
    3: "MELISSA_ERR_ENVIRONMENT",
    4: "MELISSA_ERR_TIMEOUT",
    5: "MELISSA_ERR_REFUSED",
    6: "MELISSA_ERR_PROTOCOL",
    7: "MELISSA_ERR_ZMQ",
    8: "MELISSA_ERR_MPI",
    9: "MELISSA_ERR_MEMORY",
    10: "MELISSA_ERR_TOO_MANY_STEPS",
}


class MelissaError(RuntimeError):
    """A melissa call failed: `status` (int), `name`, `message`, `refuse_reason` (0 if none)."""

    def __init__(self, call, status, message, reason):
        self.status = status
        self.name = STATUS_NAMES.get(status, "MELISSA_ERR_UNKNOWN")
        self.message = message
        self.refuse_reason = reason
        super().__init__(f"{call}: {self.name}: {message}")


def _find_library():
    explicit = os.environ.get("MELISSA_CLIENT_LIBRARY")
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.normpath(os.path.join(here, "..", "..", "build", "lib", "libmelissa_client.so"))
    if os.path.exists(built):
        return built
    found = ctypes.util.find_library("melissa_client")
    if found:
        return found
    raise OSError("libmelissa_client.so not found: run scripts/build-clients or set MELISSA_CLIENT_LIBRARY")


library_path = _find_library()
# RTLD_GLOBAL: Open MPI's plugins, loaded later by libmpi, need libmpi's symbols.
_lib = ctypes.CDLL(library_path, mode=ctypes.RTLD_GLOBAL)
_lib.melissa_init_f.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
_lib.melissa_init_world.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_lib.melissa_send.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
_lib.melissa_send_float.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
_lib.melissa_set_time_steps.argtypes = [ctypes.c_uint32]
_lib.melissa_finalize.argtypes = []
_lib.melissa_last_error.restype = ctypes.c_char_p
_lib.melissa_refuse_reason.restype = ctypes.c_int
for _f in ("melissa_init_f", "melissa_init_world", "melissa_send", "melissa_send_float",
           "melissa_set_time_steps", "melissa_finalize"):
    getattr(_lib, _f).restype = ctypes.c_int

_sizes = {}  # field name -> local size, to check arrays before they reach C


def last_error():
    """The message of the last failure ('' if none)."""
    return (_lib.melissa_last_error() or b"").decode("utf-8", "replace")


def refuse_reason():
    """The reason code of the server's last refusal (1 wrong token ... 6 finished), 0 if none."""
    return int(_lib.melissa_refuse_reason())


def _check(call, status):
    if status != 0:
        raise MelissaError(call, status, last_error(), refuse_reason())


def _name(field_name):
    if not isinstance(field_name, str):
        raise TypeError("a field name is a str")
    return field_name.encode("utf-8")


def init(field_name, local_size, comm=None):
    """Declares a field of `local_size` values on this rank (collective; before the first send)."""
    local_size = int(local_size)
    if local_size < 0:
        raise ValueError("local_size must be >= 0")
    if comm is None:
        try:
            from mpi4py import MPI  # noqa: F401  (initialises MPI)

            comm = MPI.COMM_WORLD
        except ImportError:
            comm = None
    if comm is None:
        _check("melissa_init_world", _lib.melissa_init_world(_name(field_name), local_size))
    else:
        _check("melissa_init_f", _lib.melissa_init_f(_name(field_name), local_size, int(comm.py2f())))
    _sizes[field_name] = local_size


def send(field_name, values):
    """Sends this rank's chunk of one time step: a numpy float64 or float32 array of the field's local size."""
    if field_name not in _sizes:
        _check("melissa_send", _lib.melissa_send(_name(field_name), None))  # the library's own error
    array = np.asarray(values)
    if array.dtype == np.float64:
        function = _lib.melissa_send
    elif array.dtype == np.float32:
        function = _lib.melissa_send_float
    else:
        raise TypeError(f"melissa.send: {array.dtype} array; expected float64 or float32")
    if array.size != _sizes[field_name]:
        raise ValueError(f"melissa.send({field_name!r}): {array.size} values, the field has {_sizes[field_name]} on this rank")
    array = np.ascontiguousarray(array)  # a copy only when the array is not contiguous
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    _check("melissa_send", function(_name(field_name), array.ctypes.data_as(ctypes.c_void_p)))


def set_time_steps(time_steps):
    """Sets the number of time steps (instead of MELISSA_TIME_STEPS); before the first send."""
    _check("melissa_set_time_steps", _lib.melissa_set_time_steps(int(time_steps)))


def finalize():
    """Sends finish, flushes (bounded by MELISSA_LINGER) and frees everything; offline
    (MELISSA_OFFLINE_DIR), syncs the files and writes complete.json (docs/offline.md)."""
    _sizes.clear()
    _check("melissa_finalize", _lib.melissa_finalize())
