#!/usr/bin/env python3
"""A protocol client written from docs/protocol.md alone, run against the real `melissa server`.

    clients/tests/protocol_client.py --melissa PATH [--keep] [-v]

It plans a small study (`melissa plan`: 5 simulations of 3 time steps, one field of 8 values,
simulation.resources.tasks 1, one training rank), starts `melissa server` on it and speaks the
wire protocol byte for byte as the page gives it, with pyzmq, checking what the page promises:

  framing        a register with 1, 2 and 3 envelope frames (and through a REQ socket) gets exactly
                 one answer each, the envelope echoed, the answer in the last frame; a malformed
                 message gets exactly one refuse (reason 5)
  after finish   data of a finished simulation is rejected (`finished`), nothing is stored
  after give_up  data of a given-up simulation is rejected (`finished`)
  incomplete     a finish with a step missing leaves the simulation in `simulations.incomplete`
                 (not finished, reception not over); a newer attempt sends every step, the missing
                 one completes it, the repeats count as duplicates (chunks)
  wrong ranks    a register whose ranks differ from the study's tasks is refused (reason 7, `ranks`)
  the end        reception over, the server exits 0 within seconds and removes server.address

Prints one line per check and exits 1 if any failed. Nothing here comes from the server's source:
when this client and the server disagree, the page is wrong or the server is.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import zmq

MAGIC = b"MLSA"
VERSION = 1
REGISTER, ACCEPT, REFUSE, DATA, FINISH = 1, 2, 3, 4, 5
PING, STATUS, GIVE_UP = 16, 17, 18
FLOAT32 = 1

FIELD, SIZE, STEPS, SIMULATIONS = "u", 8, 3, 5
WAIT = 30  # seconds: a generous bound on every wait

STUDY = f"""study: {{name: protocol-client, output: study, seed: 3}}
parameters:
  x: {{uniform: [0, 1]}}
sampler: {{kind: monte-carlo, count: {SIMULATIONS}}}
simulation:
  command: "true"
  fields: [{{name: {FIELD}, size: {SIZE}}}]
  time_steps: {STEPS}
  resources: {{tasks: 1}}
buffer: {{policy: fifo, capacity: 100, watermark: 1}}
training:
  model: {{kind: mlp, hidden: [8]}}
  batch_size: 2
  normalization: {{warmup_samples: 1, warmup_simulations: 1}}
execution:
  scheduler: local
"""

failures = []
verbose = False


def check(condition, what):
    print(f"{'ok  ' if condition else 'FAIL'} {what}", flush=True)
    if not condition:
        failures.append(what)
    return condition


def preamble(kind):
    """8 bytes: magic, version (u16), kind (u16), little-endian."""
    return MAGIC + struct.pack("<HH", VERSION, kind)


def register(token, sim, attempt=0, ranks=1, steps=STEPS, fields=((FIELD, SIZE),)):
    body = preamble(REGISTER) + token + struct.pack("<IIIIH", sim, attempt, ranks, steps, len(fields))
    for name, size in fields:
        raw = name.encode()
        body += struct.pack("<H", len(raw)) + raw + struct.pack("<Q", size)
    return body


def parse_answer(frame):
    """('accept', session, endpoints) or ('refuse', reason, text), from the answer frame."""
    if len(frame) < 8 or frame[:4] != MAGIC:
        return ("bad", frame)
    _, kind = struct.unpack_from("<HH", frame, 4)
    if kind == ACCEPT:
        session, count = struct.unpack_from("<QI", frame, 8)
        offset, endpoints = 20, []
        for _ in range(count):
            (length,) = struct.unpack_from("<H", frame, offset)
            endpoints.append(frame[offset + 2:offset + 2 + length].decode())
            offset += 2 + length
        return ("accept", session, endpoints)
    if kind == REFUSE:
        reason, length = struct.unpack_from("<IH", frame, 8)
        return ("refuse", reason, frame[14:14 + length].decode(errors="replace"))
    return ("kind", kind)


def data_header(sim, attempt, session, step, rank, field, count, offset):
    """The 56-byte header of kind 4 (reserved bytes zero)."""
    return preamble(DATA) + struct.pack(
        "<IIQIIHBBIQQ", sim, attempt, session, step, rank, field, FLOAT32, 0, 0, count, offset)


def values(sim, step):
    return struct.pack(f"<{SIZE}f", *[sim * 100 + step * 10 + i for i in range(SIZE)])


class Client:
    """What the page tells a client to hold: the address, the token, one PUSH per data endpoint."""

    def __init__(self, study_dir):
        self.context = zmq.Context()
        with open(os.path.join(study_dir, "server.address")) as f:
            self.address = json.load(f)
        with open(os.path.join(study_dir, "token"), "rb") as f:
            raw = f.read()
        check(len(raw) == 65 and raw.endswith(b"\n"), "the token file is 64 hex characters and a newline")
        self.token = raw.strip()
        self.pushes = []
        for endpoint in self.address["data"]:
            push = self.context.socket(zmq.PUSH)
            push.setsockopt(zmq.LINGER, 10_000)  # set before closing: the last data and finish leave
            push.connect(endpoint)
            self.pushes.append(push)

    def close(self):
        for push in self.pushes:
            push.close()
        self.context.term()

    def exchange(self, endpoint, frames, socket_type=zmq.DEALER):
        """Sends one multipart message; returns every answer that came within the wait (exactly one is due)."""
        socket = self.context.socket(socket_type)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)
        socket.send_multipart(frames)
        answers = []
        if socket.poll(WAIT * 1000):
            answers.append(socket.recv_multipart())
            # Anything more within half a second would be a second answer.
            while socket_type != zmq.REQ and socket.poll(500):
                answers.append(socket.recv_multipart())
        socket.close()
        return answers

    def register(self, sim, attempt=0, ranks=1):
        answers = self.exchange(self.address["registration"], [b"", register(self.token, sim, attempt, ranks)])
        return parse_answer(answers[0][-1]) if len(answers) == 1 else ("answers", len(answers))

    def send(self, sim, attempt, session, steps, rank=0):
        for step in steps:
            endpoint = (sim + step) % len(self.pushes)  # (s + t) mod R, in 64 bits
            self.pushes[endpoint].send_multipart(
                [data_header(sim, attempt, session, step, rank, 0, SIZE, 0), values(sim, step)])

    def finish(self, sim, attempt, session, sent, rank=0):
        message = preamble(FINISH) + struct.pack("<IIQII", sim, attempt, session, rank, sent)
        for push in self.pushes:  # to every data endpoint, after the last data
            push.send(message)

    def control(self, body):
        answers = self.exchange(self.address["control"], [b"", body])
        if len(answers) != 1:
            return None
        frame = answers[0][-1]
        _, kind = struct.unpack_from("<HH", frame, 4)
        assert frame[:4] == MAGIC and kind == STATUS, frame[:8]
        (sequence,) = struct.unpack_from("<Q", frame, 8)
        return sequence, json.loads(frame[16:].decode())

    def status(self):
        reply = self.control(preamble(PING) + struct.pack("<Q", 7))
        return reply[1] if reply else {}

    def give_up(self, sim):
        return self.control(preamble(GIVE_UP) + struct.pack("<I", sim))

    def wait(self, condition):
        """Polls the status until `condition` holds (WAIT seconds at most); the last status."""
        deadline = time.monotonic() + WAIT
        while True:
            status = self.status()
            if condition(status) or time.monotonic() > deadline:
                return status
            time.sleep(0.02)


def simulations(status, key):
    return status.get("simulations", {}).get(key)


def test_framing(client):
    """docs/protocol.md, Frames on the ROUTER sockets."""
    body = register(client.token, 0)
    sessions = set()
    for envelope in ([b""], [b"hop", b""], [b"hop 1", b"hop 2", b""]):
        answers = client.exchange(client.address["registration"], envelope + [body])
        frames = len(envelope)
        if check(len(answers) == 1, f"a register with {frames} envelope frame(s) gets exactly one answer"):
            check(answers[0][:-1] == envelope, f"  its envelope of {frames} frame(s) is echoed")
            answer = parse_answer(answers[0][-1])
            check(answer[0] == "accept", f"  the last frame is an accept: {answer[:2]}")
            sessions.add(answer[1] if answer[0] == "accept" else None)
    check(len(sessions) == 1 and None not in sessions, "  the same attempt got the same session each time")
    answers = client.exchange(client.address["registration"], [body], zmq.REQ)
    check(len(answers) == 1 and parse_answer(answers[0][-1])[0] == "accept", "a REQ socket gets its one answer")
    answers = client.exchange(client.address["registration"], [b"", b"not a melissa message"])
    check(len(answers) == 1 and parse_answer(answers[0][-1])[:2] == ("refuse", 5),
          "a malformed message gets exactly one refuse, reason 5")
    reply = client.control(preamble(PING) + struct.pack("<Q", 41))
    check(reply is not None and reply[0] == 41, "a ping gets one status with its sequence number")
    return sessions.pop()


def test_after_finish(client, session):
    """Simulation 0 sends its 3 steps and finishes; data after that is rejected as `finished`."""
    client.send(0, 0, session, range(STEPS))
    client.finish(0, 0, session, STEPS)
    status = client.wait(lambda s: 0 in (simulations(s, "finished") or []))
    check(0 in (simulations(status, "finished") or []), "a simulation with every step and its finish is finished")
    samples = status.get("samples")
    client.send(0, 0, session, [1])
    status = client.wait(lambda s: s.get("rejected", {}).get("finished", 0) >= 1)
    check(status.get("rejected", {}).get("finished") == 1, "data after finish is rejected as `finished`")
    check(status.get("samples") == samples and status.get("duplicates") == 0, "  and neither stored nor a duplicate")


def test_after_give_up(client):
    """Simulation 1 sends one step, the launcher gives it up, its next data is rejected."""
    kind, session, _ = client.register(1)
    check(kind == "accept", "simulation 1 registers")
    client.send(1, 0, session, [0])
    client.wait(lambda s: s.get("samples", 0) >= STEPS + 1)
    reply = client.give_up(1)
    check(reply is not None and reply[0] == 0, "give_up is answered with a status of sequence 0")
    client.send(1, 0, session, [1])
    status = client.wait(lambda s: s.get("rejected", {}).get("finished", 0) >= 2)
    check(status.get("rejected", {}).get("finished") == 2, "data after give_up is rejected as `finished`")
    check(status.get("samples") == STEPS + 1, "  and not stored")
    check(1 not in (simulations(status, "running") or []) + (simulations(status, "finished") or []),
          "  a given-up simulation is neither running nor finished")
    kind, reason, _ = client.register(1, attempt=1)
    check((kind, reason) == ("refuse", 6), "a given-up simulation may not register again (reason 6)")


def test_incomplete(client):
    """Simulation 2 loses step 1 and finishes anyway: incomplete until a newer attempt sends it."""
    kind, session, _ = client.register(2)
    client.send(2, 0, session, [0, 2])
    client.finish(2, 0, session, STEPS)  # the count claims every step: the server does not take its word
    status = client.wait(lambda s: simulations(s, "incomplete") == [2])
    check(simulations(status, "incomplete") == [2], "a finish with a step missing: the status says incomplete")
    check(2 not in (simulations(status, "finished") or []) + (simulations(status, "running") or []),
          "  not finished, not running")
    check(status.get("reception_over") is False, "  reception is not over")
    kind, reason, _ = client.register(2)
    check((kind, reason) == ("refuse", 5), "the ended attempt may not register again (reason 5)")
    kind, newer, _ = client.register(2, attempt=1)
    check(kind == "accept" and newer != session, "the resubmission (attempt 1) registers with a new session")
    before = client.status()
    client.send(2, 1, newer, range(STEPS))
    client.finish(2, 1, newer, STEPS)
    status = client.wait(lambda s: 2 in (simulations(s, "finished") or []))
    check(2 in (simulations(status, "finished") or []) and simulations(status, "incomplete") == [],
          "its missing step completes it: finished")
    check(status.get("duplicates", 0) - before.get("duplicates", 0) == 2, "  the 2 repeated steps are duplicates")
    check(status.get("samples", 0) - before.get("samples", 0) == 1, "  and 1 new sample")


def test_wrong_ranks(client):
    """The study runs its simulations on 1 task: a register of 2 ranks is refused."""
    answer = client.register(3, ranks=2)
    check(answer[:2] == ("refuse", 7), f"a register with ranks 2 of tasks 1 is refused, reason 7: {answer}")
    check(client.status().get("rejected", {}).get("ranks") == 1, "  and counted as `ranks`")


def run(melissa, keep):
    root = tempfile.mkdtemp(prefix="melissa-protocol-client-")
    server = None
    try:
        with open(os.path.join(root, "study.yaml"), "w") as f:
            f.write(STUDY)
        planned = subprocess.run([melissa, "plan", os.path.join(root, "study.yaml")], capture_output=True, text=True)
        if not check(planned.returncode == 0, "melissa plan"):
            print(planned.stdout + planned.stderr)
            return
        study = os.path.join(root, "study")
        log = open(os.path.join(root, "server.log"), "w")
        server = subprocess.Popen([melissa, "server", study], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while not os.path.exists(os.path.join(study, "server.address")) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not check(os.path.exists(os.path.join(study, "server.address")), "the server listens"):
            return
        client = Client(study)
        try:
            session = test_framing(client)
            test_after_finish(client, session)
            test_after_give_up(client)
            test_incomplete(client)
            test_wrong_ranks(client)
            # Every rejection so far is counted, under its documented reason (asked before the last simulations:
            # once they finish, the server may end before another ping reaches it).
            status = client.status()
            check(set(status.get("rejected", {})) >= {"ranks", "finished", "session", "stale"},
                  "the status has a key for every documented reason")
            # The study's last simulations; then reception is over and the server goes away.
            for sim in (3, 4):
                kind, session, _ = client.register(sim)
                client.send(sim, 0, session, range(STEPS))
                client.finish(sim, 0, session, STEPS)
            status = client.wait(lambda s: s.get("reception_over") is True or server.poll() is not None)
            # Seen in a status, or the server already ended 0 and left server.done (it ends only once reception is
            # over and the buffer drained).
            ended_well = server.poll() == 0 and os.path.exists(os.path.join(study, "server.done"))
            check(status.get("reception_over") is True or ended_well,
                  "every simulation finished or given up: reception is over")
            ended = time.monotonic()
            try:
                code = server.wait(WAIT)
            except subprocess.TimeoutExpired:
                code = None
            took = time.monotonic() - ended
        finally:
            client.close()
        check(code == 0, f"the server exits 0 after reception ends ({took:.1f} s)")
        check(took < 15, "  within seconds")
        check(not os.path.exists(os.path.join(study, "server.address")), "  and removes server.address")
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        if (failures or verbose) and os.path.exists(os.path.join(root, "server.log")):
            with open(os.path.join(root, "server.log")) as f:
                print("--- server.log\n" + f.read()[-3000:])
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main():
    global verbose
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--melissa", required=True, help="the melissa executable")
    parser.add_argument("--keep", action="store_true", help="keep the study directory")
    parser.add_argument("-v", action="store_true", help="print the server's log")
    args = parser.parse_args()
    verbose = args.v
    run(args.melissa, args.keep)
    print(f"protocol client: {len(failures)} failed" if failures else "protocol client: every check passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
