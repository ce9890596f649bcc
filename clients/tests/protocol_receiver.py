#!/usr/bin/env python3
"""A reference receiver: the server side of docs/protocol.md (version 1), in Python.

It stands in for the Swift server in the client tests (tests/run-client-tests) and
the client benchmark (scripts/bench-client). It binds on 127.0.0.1:

  registration  ROUTER   register -> accept | refuse (token, simulation, version, fields)
  data          PULL ×R  data (validated, assembled into samples, deduplicated by
                         (simulation, step)) and finish

writes <study dir>/server.address (temporary file, then rename) and runs until every
expected simulation finished (exit 0), --timeout expired (exit 1) or SIGTERM/SIGINT
(exit 0). Then it writes the report (--report, default <study dir>/receiver-report.json)
and, with --record DIR, each simulation's complete samples as raw float64
(`DIR/sim-<id>-<field>.f64`: time-steps × field size values, step-major; missing
steps are NaN; float32 values are widened exactly).

The report (JSON) is the contract the tests check, whatever server produces it:
  samples     {sim id: sorted list of the steps that became samples}
  sample_count, duplicates (messages dropped because their step was already a sample),
  rejected    {reason: count}, refused {reason code: count},
  registrations [{simulation, attempt, ranks, time_steps, fields}],
  finished    {sim id: {attempt, steps_sent: {rank: steps}}},
  routing_errors (data that arrived on another endpoint than (sim + t) mod R)

Options:
  --study-dir DIR       where the token is read and server.address written (required)
  --data-endpoints R    training ranks (default 1)
  --simulations N       expected simulations 0..N-1 (default 1; 0: run until SIGTERM)
  --fields a:10,b:20    the study's fields and sizes (default: take the first registration's)
  --time-steps T        the study's time steps (default: take the registration's)
  --timeout S           give up after S seconds (default 60)
  --status-file FILE    rewritten (atomically) with {"samples": {sim: count}} after each sample
  --hostile MODE        answer every registration with a hostile message and serve nothing:
                        truncated | zero-ranks | endpoint-overflow | bad-magic | bad-kind |
                        trailing | nul-endpoint | huge-ranks | garbage | silent | other-version |
                        stall (a valid accept, then the data sockets are never read)
  --curve               require CURVE encryption (a fresh server key pair, its public key
                        in server.address as "curve_server_key")
  --quiet               no per-event log lines
"""

import argparse
import json
import os
import secrets
import signal
import struct
import sys
import time

import numpy as np
import zmq

MAGIC = b"MLSA"
VERSION = 1
REGISTER, ACCEPT, REFUSE, DATA, FINISH = 1, 2, 3, 4, 5
REFUSE_TOKEN, REFUSE_UNKNOWN, REFUSE_VERSION, REFUSE_FIELDS, REFUSE_MALFORMED, REFUSE_FINISHED = 1, 2, 3, 4, 5, 6

stop_requested = False


def on_signal(_signum, _frame):
    global stop_requested
    stop_requested = True


def preamble(kind, version=VERSION):
    return MAGIC + struct.pack("<HH", version, kind)


def refuse(reason, message):
    text = message.encode()[:65535]
    return preamble(REFUSE) + struct.pack("<IH", reason, len(text)) + text


def accept(session, endpoints):
    body = preamble(ACCEPT) + struct.pack("<QI", session, len(endpoints))
    for e in endpoints:
        b = e.encode()
        body += struct.pack("<H", len(b)) + b
    return body


def hostile_answer(mode, endpoints):
    good = accept(1234, endpoints)
    if mode == "stall":
        return good
    if mode == "truncated":
        return good[:-3]
    if mode == "zero-ranks":
        return preamble(ACCEPT) + struct.pack("<QI", 1, 0)
    if mode == "huge-ranks":
        return preamble(ACCEPT) + struct.pack("<QI", 1, 0xFFFFFFFF) + struct.pack("<H", 5) + b"tcp:/"
    if mode == "endpoint-overflow":
        return preamble(ACCEPT) + struct.pack("<QIH", 1, 1, 0xFFFF) + b"tcp://127.0.0.1:1"
    if mode == "nul-endpoint":
        e = b"tcp://127.0.0.1:1\x00evil"
        return preamble(ACCEPT) + struct.pack("<QIH", 1, 1, len(e)) + e
    if mode == "trailing":
        return good + b"\x00\x01"
    if mode == "bad-magic":
        return b"XXXX" + good[4:]
    if mode == "bad-kind":
        return MAGIC + struct.pack("<HH", VERSION, 99) + good[8:]
    if mode == "garbage":
        return b"\x07"
    if mode == "other-version":
        # A refuse with reason 3 in the server's own (future) version.
        text = b"this server speaks protocol 2"
        return MAGIC + struct.pack("<HHIH", 2, REFUSE, REFUSE_VERSION, len(text)) + text
    raise ValueError(mode)


class Receiver:
    def __init__(self, args):
        self.args = args
        self.study_dir = args.study_dir
        with open(os.path.join(self.study_dir, "token"), "rb") as f:
            self.token = f.read().strip()
        self.expected_fields = None
        if args.fields:
            self.expected_fields = []
            for item in args.fields.split(","):
                name, size = item.rsplit(":", 1)
                self.expected_fields.append((name, int(size)))
        self.ctx = zmq.Context()
        self.curve_public = None
        if args.curve:
            # docs/protocol.md, Security: the server's public key goes into server.address
            self.curve_public, self.curve_secret = zmq.curve_keypair()
        self.registration = self.ctx.socket(zmq.ROUTER)
        self.registration.setsockopt(zmq.LINGER, 0)
        self.secure(self.registration)
        port = self.registration.bind_to_random_port("tcp://127.0.0.1")
        self.registration_endpoint = f"tcp://127.0.0.1:{port}"
        self.data = []
        self.endpoints = []
        for _ in range(args.data_endpoints):
            s = self.ctx.socket(zmq.PULL)
            s.setsockopt(zmq.LINGER, 0)
            self.secure(s)
            # unbounded, except when stalling: then the client must feel the back-pressure
            s.setsockopt(zmq.RCVHWM, 1 if args.hostile == "stall" else 0)
            p = s.bind_to_random_port("tcp://127.0.0.1")
            self.data.append(s)
            self.endpoints.append(f"tcp://127.0.0.1:{p}")
        # state
        self.sims = {}  # id -> dict(attempt, session, ranks, time_steps, fields, partial, done, finishes)
        self.fields_by_sim = {}  # id -> fields of the first registration (later attempts must match)
        self.samples = {}  # id -> set of steps
        self.records = {}  # (id, field index) -> np array [steps, size]
        self.finished = {}
        self.duplicates = 0
        self.rejected = {}
        self.refused = {}
        self.registrations = []
        self.routing_errors = 0
        self.sample_count = 0

    def secure(self, socket):
        if self.curve_public is not None:
            socket.curve_server = True
            socket.curve_secretkey = self.curve_secret

    def log(self, message):
        if not self.args.quiet:
            print(f"receiver: {message}", flush=True)

    def reject(self, reason, detail=""):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        self.log(f"rejected ({reason}) {detail}")

    def write_address(self):
        doc = {
            "protocol": VERSION,
            "pid": os.getpid(),
            "host": "127.0.0.1",
            "registration": self.registration_endpoint,
            "control": "tcp://127.0.0.1:1",
            "data": self.endpoints,
        }
        if self.curve_public is not None:
            doc["curve_server_key"] = self.curve_public.decode()
        path = os.path.join(self.study_dir, "server.address")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.rename(tmp, path)

    # ------------------------------------------------------------ registration
    def handle_registration(self, frames):
        envelope, body = frames[:-1], frames[-1]
        if self.args.hostile:
            if self.args.hostile != "silent":
                self.registration.send_multipart(envelope + [hostile_answer(self.args.hostile, self.endpoints)])
            self.hostile_answered = True
            return
        answer = self.register(body)
        self.registration.send_multipart(envelope + [answer])

    def register(self, body):
        def no(reason, message):
            self.refused[reason] = self.refused.get(reason, 0) + 1
            self.log(f"refused ({reason}): {message}")
            return refuse(reason, message)

        if len(body) < 8 or body[:4] != MAGIC:
            return no(REFUSE_MALFORMED, "not a melissa message")
        version, kind = struct.unpack_from("<HH", body, 4)
        if version != VERSION:
            return no(REFUSE_VERSION, f"protocol version {version}, this server speaks {VERSION}")
        if kind != REGISTER or len(body) < 90:
            return no(REFUSE_MALFORMED, "expected a register message")
        token = body[8:72]
        if not secrets.compare_digest(token, self.token):
            return no(REFUSE_TOKEN, "wrong study token (MELISSA_TOKEN_FILE)")
        sim, attempt, ranks, steps, nfields = struct.unpack_from("<IIIIH", body, 72)
        pos = 90
        fields = []
        if ranks < 1 or not 1 <= nfields <= 64:
            return no(REFUSE_MALFORMED, "bad rank or field count")
        for _ in range(nfields):
            if len(body) < pos + 2:
                return no(REFUSE_MALFORMED, "truncated field list")
            (n,) = struct.unpack_from("<H", body, pos)
            pos += 2
            if not 1 <= n <= 255 or len(body) < pos + n + 8:
                return no(REFUSE_MALFORMED, "bad field name")
            name = body[pos : pos + n].decode("utf-8", "replace")
            (size,) = struct.unpack_from("<Q", body, pos + n)
            pos += n + 8
            fields.append((name, size))
        if pos != len(body):
            return no(REFUSE_MALFORMED, "trailing bytes")
        if self.args.simulations and sim >= self.args.simulations:
            return no(REFUSE_UNKNOWN, f"simulation {sim} is not in the study (0...{self.args.simulations - 1})")
        if sim in self.finished:
            return no(REFUSE_FINISHED, f"simulation {sim} already finished")
        if self.expected_fields is not None and fields != self.expected_fields:
            return no(REFUSE_FIELDS, f"fields {fields}, the study has {self.expected_fields}")
        if sim in self.fields_by_sim and self.fields_by_sim[sim] != (fields, steps):
            return no(REFUSE_FIELDS, "fields or time steps differ from an earlier attempt")
        if self.args.time_steps is not None and steps != self.args.time_steps:
            return no(REFUSE_FIELDS, f"{steps} time steps, the study has {self.args.time_steps}")
        self.fields_by_sim[sim] = (fields, steps)
        session = secrets.randbits(64)
        # A new attempt replaces the old one: its partial steps are dropped, its session dies.
        self.sims[sim] = {
            "attempt": attempt,
            "session": session,
            "ranks": ranks,
            "steps": steps,
            "fields": fields,
            "partial": {},
            "finishes": {},
        }
        self.samples.setdefault(sim, set())
        for i, (_, size) in enumerate(fields):
            if (sim, i) not in self.records:
                self.records[(sim, i)] = np.full((steps, size), np.nan, dtype=np.float64)
        self.registrations.append(
            {"simulation": sim, "attempt": attempt, "ranks": ranks, "time_steps": steps, "fields": fields}
        )
        self.log(f"accepted simulation {sim} attempt {attempt}: {ranks} ranks, {steps} steps, fields {fields}")
        return accept(session, self.endpoints)

    # -------------------------------------------------------------------- data
    def handle_data(self, endpoint_index, frames):
        head = frames[0]
        if len(head) < 8 or head[:4] != MAGIC:
            return self.reject("magic")
        version, kind = struct.unpack_from("<HH", head, 4)
        if version != VERSION:
            return self.reject("version")
        if kind == DATA:
            return self.handle_chunk(endpoint_index, frames)
        if kind == FINISH:
            return self.handle_finish(endpoint_index, frames)
        return self.reject("malformed", f"kind {kind} on a data socket")

    def session_of(self, sim, attempt, session):
        s = self.sims.get(sim)
        if s is None or s["attempt"] != attempt or s["session"] != session:
            return None
        return s

    def handle_chunk(self, endpoint_index, frames):
        if len(frames) != 2 or len(frames[0]) != 56:
            return self.reject("malformed", "data is a 56-byte header and a payload frame")
        head, payload = frames
        sim, attempt, session, step, rank, field, etype, _r1, _r2, count, offset = struct.unpack_from(
            "<IIQIIHBBIQQ", head, 8
        )
        s = self.session_of(sim, attempt, session)
        if s is None:
            return self.reject("session", f"sim {sim} attempt {attempt}")
        if step >= s["steps"] or rank >= s["ranks"] or field >= len(s["fields"]) or etype not in (1, 2):
            return self.reject("malformed", "step, rank, field or type out of range")
        size = s["fields"][field][1]
        width = 4 if etype == 1 else 8
        if count > size or offset > size - count or len(payload) != count * width:
            return self.reject("malformed", "count, offset or payload length")
        if endpoint_index != (sim + step) % len(self.data):
            self.routing_errors += 1
        if step in self.samples[sim]:
            self.duplicates += 1
            return
        partial = s["partial"].get(step)
        if partial is None:
            partial = [
                (np.empty(f[1], dtype=np.float64), np.zeros(f[1], dtype=bool)) for f in s["fields"]
            ]
            s["partial"][step] = partial
        values, covered = partial[field]
        if covered[offset : offset + count].any():
            return self.reject("overlap", f"sim {sim} step {step} field {field}")
        values[offset : offset + count] = np.frombuffer(payload, dtype="<f4" if etype == 1 else "<f8")
        covered[offset : offset + count] = True
        if all(c.all() for _, c in partial):
            del s["partial"][step]
            self.samples[sim].add(step)
            self.sample_count += 1
            for i, (v, _) in enumerate(partial):
                self.records[(sim, i)][step] = v
            self.write_status()

    def handle_finish(self, endpoint_index, frames):
        if len(frames) != 1 or len(frames[0]) != 32:
            return self.reject("malformed", "finish is one 32-byte frame")
        sim, attempt, session, rank, sent = struct.unpack_from("<IIQII", frames[0], 8)
        s = self.session_of(sim, attempt, session)
        if s is None:
            return self.reject("session", f"finish of sim {sim} attempt {attempt}")
        if rank >= s["ranks"]:
            return self.reject("malformed", "finish: rank out of range")
        s["finishes"][(endpoint_index, rank)] = sent
        if len(s["finishes"]) == s["ranks"] * len(self.data):
            steps_sent = {str(r): n for (_, r), n in s["finishes"].items()}
            self.finished[sim] = {"attempt": attempt, "steps_sent": steps_sent}
            self.log(f"simulation {sim} finished (attempt {attempt}, {len(self.samples[sim])} samples)")

    # ----------------------------------------------------------------- output
    def write_status(self):
        if not self.args.status_file:
            return
        tmp = self.args.status_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"samples": {str(k): len(v) for k, v in self.samples.items()}}, f)
        os.rename(tmp, self.args.status_file)

    def report(self):
        return {
            "samples": {str(k): sorted(v) for k, v in sorted(self.samples.items())},
            "sample_count": self.sample_count,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "refused": {str(k): v for k, v in self.refused.items()},
            "registrations": self.registrations,
            "finished": {str(k): v for k, v in sorted(self.finished.items())},
            "routing_errors": self.routing_errors,
        }

    def save(self):
        path = self.args.report or os.path.join(self.study_dir, "receiver-report.json")
        with open(path, "w") as f:
            json.dump(self.report(), f, indent=1)
        if self.args.record:
            os.makedirs(self.args.record, exist_ok=True)
            for (sim, i), array in self.records.items():
                name = self.fields_by_sim[sim][0][i][0]
                array.astype("<f8").tofile(os.path.join(self.args.record, f"sim-{sim}-{name}.f64"))

    def done(self):
        if self.args.hostile == "stall":
            return False  # until SIGTERM or --timeout
        if self.args.hostile:
            return getattr(self, "hostile_answered", False)
        n = self.args.simulations
        return n > 0 and all(i in self.finished for i in range(n))

    def run(self):
        self.write_address()
        self.log(f"listening: registration {self.registration_endpoint}, data {self.endpoints}")
        poller = zmq.Poller()
        poller.register(self.registration, zmq.POLLIN)
        if not self.args.hostile:
            for s in self.data:
                poller.register(s, zmq.POLLIN)
        deadline = time.monotonic() + self.args.timeout
        index = {s: i for i, s in enumerate(self.data)}
        while not stop_requested and not self.done():
            if time.monotonic() > deadline:
                self.log(f"timeout after {self.args.timeout} s")
                self.save()
                return 1
            for sock, _ in poller.poll(100):
                # drain what is there, bounded so that no socket starves
                for _ in range(1000):
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    if sock is self.registration:
                        self.handle_registration(frames)
                    else:
                        self.handle_data(index[sock], frames)
        if self.args.hostile:
            time.sleep(0.5)  # let the answer leave before the sockets close
        self.save()
        r = self.report()
        self.log(
            f"done: {r['sample_count']} samples, {r['duplicates']} duplicates, rejected {r['rejected']}, "
            f"refused {r['refused']}, routing errors {r['routing_errors']}"
        )
        return 0

    def close(self):
        for s in self.data + [self.registration]:
            s.close(0)
        self.ctx.term()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study-dir", required=True)
    parser.add_argument("--data-endpoints", type=int, default=1)
    parser.add_argument("--simulations", type=int, default=1)
    parser.add_argument("--fields")
    parser.add_argument("--time-steps", type=int)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--status-file")
    parser.add_argument("--record")
    parser.add_argument("--report")
    parser.add_argument("--hostile")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--curve", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    receiver = Receiver(args)
    try:
        return receiver.run()
    finally:
        receiver.close()


if __name__ == "__main__":
    sys.exit(main())
