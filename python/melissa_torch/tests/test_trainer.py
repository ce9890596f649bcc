"""The trainer driven through its real pipe and shared-memory ring by the feeder, against torch in this process."""

import json
import os
import subprocess
import sys
import unittest

import numpy as np
import torch

from melissa_torch import TORCH_MISSING
from melissa_torch.feeder import PACKAGE_PARENT, Feeder, TrainerFailed, TrainerProcess
from melissa_torch.tests.support import CNN, SMALL, SURROGATE, TIMEOUT, batch, reference, temporary_directory, \
    write_module

I, O, B = 3, 20, 6


def relative(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def predictions(feeder, x, rank=0, slot=0):
    feeder.fill(rank, slot, x)
    feeder.call(rank, {"op": "predict", "slot": slot, "rows": len(x)})
    return feeder.rings[rank].targets[slot][: len(x)].copy()


def states_equal(test, a, b, atol=0.0):
    test.assertEqual(sorted(a), sorted(b))
    for key in a:
        test.assertTrue(torch.allclose(a[key].cpu(), b[key].cpu(), atol=atol, rtol=0), f"{key} differs")


class TrainTests(unittest.TestCase):
    def test_init_train_predict_and_losses_match_torch(self):
        seed = 7
        rng = np.random.default_rng(1)
        model, opt = reference(SURROGATE, I, O, SMALL, seed)
        with Feeder(SURROGATE, I, O, B, config=SMALL, seed=seed, timeout=TIMEOUT) as feeder:
            reply = feeder.init_replies[0]
            self.assertEqual(reply["device"], "cpu")
            self.assertEqual(reply["parameters"], sum(p.numel() for p in model.parameters()))
            self.assertEqual(reply["torch"], torch.__version__)
            for step, n in enumerate([B, 4, B]):
                x, y = batch(rng, n, I, O)
                slot = step % 2
                feeder.fill(0, slot, x, y)
                (loss,) = feeder.train(slot, [n])
                opt.zero_grad()
                pred = model(torch.from_numpy(x))
                expected = torch.nn.functional.mse_loss(pred, torch.from_numpy(y))
                self.assertLess(relative(loss, expected.item()), 1e-5, f"step {step}")
                per_row = ((pred - torch.from_numpy(y)) ** 2).mean(dim=1).detach().numpy()
                np.testing.assert_allclose(feeder.rings[0].losses[slot][:n], per_row, rtol=1e-5, atol=1e-7)
                expected.backward()
                opt.step()
            x, _ = batch(rng, 5, I, O)
            with torch.no_grad():
                expected = model(torch.from_numpy(x)).numpy()
            np.testing.assert_allclose(predictions(feeder, x, slot=1), expected, rtol=1e-5, atol=1e-6)

    def test_lr_factor_scales_the_learning_rate(self):
        rng = np.random.default_rng(2)
        with Feeder(SURROGATE, I, O, B, config=SMALL, timeout=TIMEOUT) as feeder:
            probe, _ = batch(rng, 3, I, O)
            before = predictions(feeder, probe, slot=1)
            x, y = batch(rng, B, I, O)
            feeder.fill(0, 0, x, y)
            feeder.train(0, [B], lr_factor=0.0)
            np.testing.assert_array_equal(predictions(feeder, probe, slot=1), before)
            feeder.train(0, [B], lr_factor=1.0)
            self.assertFalse(np.array_equal(predictions(feeder, probe, slot=1), before))

    def test_hooks_make_optimizer_and_loss(self):
        with temporary_directory() as d:
            path = write_module(d, "hooked.py", """
                import torch
                from torch import nn

                def make_model(inputs, outputs, config):
                    return nn.Linear(inputs, outputs)

                def make_optimizer(model, config):
                    return torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.5)

                def l1(prediction, target):
                    return (prediction - target).abs().mean()
                """)
            rng = np.random.default_rng(3)
            torch.manual_seed(5)
            model = torch.nn.Linear(I, O)
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
            with Feeder(path, I, O, B, config={"lr": 0.05}, seed=5, make_optimizer="make_optimizer", loss="l1",
                        timeout=TIMEOUT) as feeder:
                for step in range(3):
                    x, y = batch(rng, B, I, O)
                    feeder.fill(0, 0, x, y)
                    total = 2 * B if step == 0 else B  # T > n on the first step: the reported loss is hook · n/T
                    loss = feeder.call(0, {"op": "train", "slot": 0, "rows": B, "total": total})["loss"]
                    opt.zero_grad()
                    value = (model(torch.from_numpy(x)) - torch.from_numpy(y)).abs().mean()
                    self.assertLess(relative(loss, value.item() * B / total), 1e-5)
                    (value * B / total).backward()
                    opt.step()
                probe, _ = batch(rng, 4, I, O)
                with torch.no_grad():
                    expected = model(torch.from_numpy(probe)).numpy()
                np.testing.assert_allclose(predictions(feeder, probe, slot=1), expected, rtol=1e-5, atol=1e-6)


class StateTests(unittest.TestCase):
    def test_save_then_load_in_a_new_process_predicts_and_continues_identically(self):
        rng = np.random.default_rng(4)
        steps = [batch(rng, B, I, O) for _ in range(4)]
        probe, _ = batch(rng, 5, I, O)
        with temporary_directory() as d:
            state = os.path.join(d, "state.pt")
            with Feeder(SURROGATE, I, O, B, config=SMALL, seed=11, timeout=TIMEOUT) as a:
                for x, y in steps[:2]:
                    a.fill(0, 0, x, y)
                    a.train(0, [B], lr_factor=0.5)
                reply = a.call(0, {"op": "save", "path": state})
                self.assertEqual(reply["bytes"], os.path.getsize(state))
                self.assertFalse(os.path.exists(state + ".tmp"))
                saved = predictions(a, probe, slot=1)
                losses_a = []
                for x, y in steps[2:]:
                    a.fill(0, 0, x, y)
                    losses_a += a.train(0, [B], lr_factor=0.5)
                after_a = predictions(a, probe, slot=1)
            with Feeder(SURROGATE, I, O, B, config=SMALL, seed=999, timeout=TIMEOUT) as b:
                self.assertFalse(np.array_equal(predictions(b, probe, slot=1), saved))
                b.call(0, {"op": "load", "path": state})
                np.testing.assert_array_equal(predictions(b, probe, slot=1), saved)
                losses_b = []
                for x, y in steps[2:]:
                    b.fill(0, 0, x, y)
                    losses_b += b.train(0, [B], lr_factor=0.5)
                self.assertEqual(losses_b, losses_a)
                np.testing.assert_array_equal(predictions(b, probe, slot=1), after_a)

    def test_load_refuses_a_file_that_is_not_a_trainer_state(self):
        with temporary_directory() as d:
            path = os.path.join(d, "other.pt")
            torch.save({"format": "something-else"}, path)
            with Feeder(SURROGATE, I, O, B, config=SMALL, timeout=TIMEOUT) as feeder:
                reply = feeder.call(0, {"op": "load", "path": path}, check=False)
                self.assertFalse(reply["ok"])
                self.assertIn("not a melissa-torch state file", reply["error"])

    def test_keep_and_use(self):
        rng = np.random.default_rng(5)
        probe, _ = batch(rng, 4, I, O)
        with Feeder(SURROGATE, I, O, B, config=SMALL, timeout=TIMEOUT) as feeder:
            x, y = batch(rng, B, I, O)
            feeder.fill(0, 0, x, y)
            feeder.train(0, [B])
            feeder.call(0, {"op": "keep", "name": "best"})
            best = predictions(feeder, probe, slot=1)
            for _ in range(2):
                feeder.train(0, [B])
            self.assertFalse(np.array_equal(predictions(feeder, probe, slot=1), best))
            feeder.call(0, {"op": "use", "name": "best"})
            np.testing.assert_array_equal(predictions(feeder, probe, slot=1), best)
            reply = feeder.call(0, {"op": "use", "name": "latest"}, check=False)
            self.assertFalse(reply["ok"])
            self.assertIn("no weights kept under 'latest'", reply["error"])
            feeder.train(0, [B])  # still usable after a failed command


class ExportTests(unittest.TestCase):
    def export_and_predict(self, module, config, inputs, outputs, method):
        rng = np.random.default_rng(6)
        in_mean = rng.uniform(100, 500, inputs).astype(np.float32)
        in_std = rng.uniform(10, 50, inputs).astype(np.float32)
        out_mean = rng.uniform(100, 500, outputs).astype(np.float32)
        out_std = rng.uniform(1, 20, outputs).astype(np.float32)
        raw = (in_mean + in_std * rng.standard_normal((7, inputs))).astype(np.float32)
        with temporary_directory() as d, Feeder(module, inputs, outputs, 8, config=config, timeout=TIMEOUT) as f:
            x, y = batch(rng, 8, inputs, outputs)
            f.fill(0, 0, x, y)
            f.train(0, [8])
            live = predictions(f, (raw - in_mean) / in_std, slot=1) * out_std + out_mean
            path = os.path.join(d, "model.pt")
            reply = f.call(0, {"op": "export", "path": path, "input_mean": in_mean.tolist(),
                               "input_std": in_std.tolist(), "output_mean": out_mean.tolist(),
                               "output_std": out_std.tolist(), "metadata": {"study": "test"}})
            self.assertEqual(reply["method"], method)
            self.assertFalse(os.path.exists(path + ".tmp"))
            request = b"".join(json.dumps({"rows": n}).encode() + b"\n" + raw[a:a + n].astype("<f4").tobytes()
                               for a, n in ((0, 3), (3, 0), (3, 4)))
            env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
            out = subprocess.run([sys.executable, "-m", "melissa_torch.predict", path], input=request,
                                 capture_output=True, env=env, timeout=TIMEOUT)
            self.assertEqual(out.returncode, 0, out.stderr.decode())
            got = np.frombuffer(out.stdout, "<f4").reshape(7, outputs)
            np.testing.assert_allclose(got, live, rtol=1e-4, atol=1e-3)
            extra = {"melissa.json": ""}
            torch.jit.load(path, _extra_files=extra)
            self.assertEqual(json.loads(extra["melissa.json"]), {"study": "test"})

    def test_export_script_then_predict_py_matches_the_live_model(self):
        self.export_and_predict(SURROGATE, SMALL, I, O, "script")

    def test_export_falls_back_to_trace(self):
        with temporary_directory() as d:
            path = write_module(d, "unscriptable.py", """
                from torch import nn

                class Net(nn.Module):
                    def __init__(self, inputs, outputs):
                        super().__init__()
                        self.layer = nn.Linear(inputs, outputs)

                    def forward(self, x, *extra):   # *args: torch.jit.script refuses this
                        return self.layer(x)

                def make_model(inputs, outputs, config):
                    return Net(inputs, outputs)
                """)
            self.export_and_predict(path, {}, I, O, "trace")

    def test_the_cnn_example_trains_and_exports(self):
        config = {"fields": [{"name": "temperature", "size": 144, "shape": [12, 12]}], "coarse": 4,
                  "channels": 8}
        self.export_and_predict(CNN, config, 6, 144, "script")

    def test_predict_py_on_a_bad_file_says_so_in_one_line(self):
        with temporary_directory() as d:
            path = os.path.join(d, "bad.pt")
            with open(path, "wb") as f:
                f.write(b"not a model")
            out = subprocess.run([sys.executable, "-m", "melissa_torch.predict", path], input=b"",
                                 capture_output=True, env=dict(os.environ, PYTHONPATH=PACKAGE_PARENT),
                                 timeout=TIMEOUT)
            self.assertEqual(out.returncode, 1)
            lines = out.stderr.decode().strip().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("cannot load", lines[0])


class DistributedTests(unittest.TestCase):
    def test_two_ranks_stay_identical_and_the_global_loss_is_the_union_loss(self):
        rng = np.random.default_rng(8)
        plan = [(B, B), (B, 2), (B, 0)]  # rows per rank; rank 1 empty on the last step
        data = [[batch(rng, n, I, O) for n in rows] for rows in plan]
        with temporary_directory() as d:
            with Feeder(SURROGATE, I, O, B, ranks=2, config=SMALL, seed=3, timeout=TIMEOUT) as two:
                global_losses = []
                for rows, parts in zip(plan, data):
                    for r, (x, y) in enumerate(parts):
                        two.fill(r, 0, x, y)
                    global_losses.append(sum(two.train(0, list(rows))))
                paths = [os.path.join(d, f"rank{r}.pt") for r in range(2)]
                two.broadcast([{"op": "save", "path": p} for p in paths])
            states = [torch.load(p, weights_only=True) for p in paths]
            states_equal(self, states[0]["model"], states[1]["model"])
            with Feeder(SURROGATE, I, O, 2 * B, config=SMALL, seed=3, timeout=TIMEOUT) as one:
                for rows, parts, expected in zip(plan, data, global_losses):
                    x = np.concatenate([p[0] for p in parts])
                    y = np.concatenate([p[1] for p in parts])
                    one.fill(0, 0, x, y)
                    (loss,) = one.train(0, [len(x)])
                    self.assertLess(relative(expected, loss), 1e-5)
                path = os.path.join(d, "one.pt")
                one.call(0, {"op": "save", "path": path})
            states_equal(self, torch.load(path, weights_only=True)["model"], states[0]["model"], atol=1e-5)


class FailureTests(unittest.TestCase):
    def start_failing(self, module, d):
        log = os.path.join(d, "stderr.log")
        with open(log, "w") as err:
            with self.assertRaises(TrainerFailed) as caught:
                Feeder(module, I, O, B, stderr=err, timeout=TIMEOUT)
        with open(log) as f:
            return caught.exception.reply, f.read()

    def test_a_module_that_raises_in_make_model_replies_the_traceback_and_exits_1(self):
        with temporary_directory() as d:
            path = write_module(d, "broken.py", """
                def make_model(inputs, outputs, config):
                    raise ValueError("no model for %d outputs" % outputs)
                """)
            log = os.path.join(d, "stderr.log")
            with open(log, "w") as err:
                proc = TrainerProcess(0, stderr=err)
                from melissa_torch import ring
                ring.create(os.path.join(d, "ring"), 1, B, I, O)
                proc.send({"op": "init", "protocol": 1, "rank": 0, "world_size": 1, "rendezvous": None,
                           "device": "cpu", "module": path, "model": "make_model", "inputs": I, "outputs": O,
                           "config": {}, "seed": 0, "threads": 1, "ring": os.path.join(d, "ring")})
                reply = proc.recv(TIMEOUT)
                self.assertEqual(proc.proc.wait(timeout=TIMEOUT), 1)
            self.assertFalse(reply["ok"])
            self.assertEqual(reply["error"], "ValueError: no model for 20 outputs")
            self.assertIn("broken.py", reply["traceback"])
            self.assertIn('raise ValueError("no model for %d outputs" % outputs)', reply["traceback"])
            with open(log) as f:
                self.assertIn("ValueError: no model for 20 outputs", f.read())

    def test_a_missing_module_path_is_a_clear_error(self):
        with temporary_directory() as d:
            missing = os.path.join(d, "nowhere", "surrogate.py")
            reply, log = self.start_failing(missing, d)
            self.assertEqual(reply["error"], f"FileNotFoundError: the model module {missing} does not exist "
                                             "(training.pytorch.module)")
            self.assertIn("Traceback", log)

    def test_a_missing_factory_is_a_clear_error(self):
        with temporary_directory() as d:
            path = write_module(d, "empty.py", "x = 1\n")
            reply, _ = self.start_failing(path, d)
            self.assertIn("has no function 'make_model'", reply["error"])

    def test_a_trainer_whose_stdin_closes_exits(self):
        with temporary_directory() as d:
            proc = TrainerProcess(0)  # before init
            proc.close_stdin()
            self.assertEqual(proc.proc.wait(timeout=TIMEOUT), 0)
            feeder = Feeder(SURROGATE, I, O, B, config=SMALL, directory=d, timeout=TIMEOUT)
            try:
                feeder.procs[0].close_stdin()  # after init: the server's end of the pipe is gone
                self.assertEqual(feeder.procs[0].proc.wait(timeout=TIMEOUT), 0)
            finally:
                feeder.close(kill=True)

    def test_a_user_print_does_not_corrupt_the_channel(self):
        with temporary_directory() as d:
            path = write_module(d, "chatty.py", """
                import os, sys
                from torch import nn

                class Chatty(nn.Linear):
                    def forward(self, x):
                        print("forward on", tuple(x.shape))
                        os.write(1, b"raw write to fd 1\\n")
                        return super().forward(x)

                def make_model(inputs, outputs, config):
                    print("building the model")
                    sys.stdout.write("via sys.stdout\\n")
                    return Chatty(inputs, outputs)
                """)
            log = os.path.join(d, "stderr.log")
            rng = np.random.default_rng(9)
            with open(log, "w") as err, Feeder(path, I, O, B, stderr=err, timeout=TIMEOUT) as feeder:
                x, y = batch(rng, B, I, O)
                feeder.fill(0, 0, x, y)
                for _ in range(2):
                    (loss,) = feeder.train(0, [B])
                    self.assertGreater(loss, 0)
                predictions(feeder, x, slot=1)
            with open(log) as f:
                text = f.read()
            for expected in ("building the model", "via sys.stdout", "forward on (6, 3)", "raw write to fd 1"):
                self.assertIn(expected, text)

    def test_unknown_ops_and_bad_slots_are_errors_not_exits(self):
        with temporary_directory() as d:
            log = os.path.join(d, "stderr.log")
            with open(log, "w") as err, Feeder(SURROGATE, I, O, B, config=SMALL, stderr=err,
                                                timeout=TIMEOUT) as feeder:
                reply = feeder.call(0, {"op": "fly"}, check=False)
                self.assertIn("unknown op 'fly'", reply["error"])
                reply = feeder.call(0, {"op": "train", "slot": 5, "rows": 1, "total": 1}, check=False)
                self.assertEqual(reply["error"], "ValueError: slot 5 out of range: the ring has 2 slots")
                feeder.procs[0].proc.stdin.write(b"{not json\n")
                self.assertFalse(feeder.procs[0].recv(TIMEOUT)["ok"])
                self.assertTrue(feeder.call(0, {"op": "predict", "slot": 0, "rows": 1})["ok"])

    def test_missing_torch_is_a_clear_reply_and_exit_3(self):
        with temporary_directory() as d:
            fake = os.path.join(d, "torch")
            os.mkdir(fake)
            with open(os.path.join(fake, "__init__.py"), "w") as f:
                f.write("raise ImportError(\"No module named 'torch'\", name='torch')\n")
            env = dict(os.environ, PYTHONPATH=d)
            log = os.path.join(d, "stderr.log")
            with open(log, "w") as err:
                proc = TrainerProcess(0, env=env, stderr=err)
                proc.send({"op": "init", "protocol": 1})
                reply = proc.recv(TIMEOUT)
                self.assertEqual(proc.proc.wait(timeout=TIMEOUT), 3)
            self.assertEqual(reply, {"ok": False, "error": TORCH_MISSING.format(python=sys.executable),
                                     "missing": "torch"})
            with open(log) as f:
                self.assertNotIn("Traceback", f.read())
            out = subprocess.run([sys.executable, "-m", "melissa_torch.predict", "model.pt"], capture_output=True,
                                 env=dict(env, PYTHONPATH=d + os.pathsep + PACKAGE_PARENT), timeout=TIMEOUT)
            self.assertEqual(out.returncode, 3)
            self.assertEqual(out.stderr.decode().strip(), TORCH_MISSING.format(python=sys.executable))


if __name__ == "__main__":
    unittest.main()
