// libzmq (Debian: libzmq3-dev, ZeroMQ 4.3.4), linked without pkg-config: its .pc file carries a flag SwiftPM refuses.
#ifndef MELISSA_CZEROMQ_SHIM_H
#define MELISSA_CZEROMQ_SHIM_H

#include <errno.h>
#include <zmq.h>

/// The calling thread's errno, as ZeroMQ sets it (zmq_errno() reads the same value).
static inline int melissa_zmq_errno(void) { return zmq_errno(); }

#endif
