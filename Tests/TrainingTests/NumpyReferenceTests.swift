import Foundation
import MelissaTestSupport
import Testing
import Training

/// The reference: the same network, normalisation, loss and optimiser written in numpy (float64), and in PyTorch
/// (float32) as well when it is installed.
private let referenceScript = #"""
    import json, math, sys
    import numpy as np

    cfg = json.load(open(sys.argv[1]))
    widths, act = cfg["widths"], cfg["activation"]
    x = (np.array(cfg["inputs"]) - np.array(cfg["inputMean"])) / np.array(cfg["inputStd"])
    y = (np.array(cfg["outputs"]) - np.array(cfg["outputMean"])) / np.array(cfg["outputStd"])
    erf = np.vectorize(math.erf)

    def f(z):
        if act == "relu": return np.maximum(z, 0)
        if act == "tanh": return np.tanh(z)
        return 0.5 * z * (1 + erf(z / math.sqrt(2)))

    def df(z):
        if act == "relu": return (z > 0).astype(float)
        if act == "tanh": return 1 - np.tanh(z) ** 2
        return 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    def unpack(p):
        layers, off = [], 0
        for i in range(1, len(widths)):
            n_in, n_out = widths[i - 1], widths[i]
            W = p[off:off + n_in * n_out].reshape(n_out, n_in); off += n_in * n_out
            b = p[off:off + n_out]; off += n_out
            layers.append((W, b))
        return layers

    def loss_and_grad(p):
        layers = unpack(p)
        h, acts, zs = x, [x], []
        for i, (W, b) in enumerate(layers):
            z = h @ W.T + b
            zs.append(z)
            h = f(z) if i < len(layers) - 1 else z
            acts.append(h)
        B, O = y.shape
        d = 2 * (h - y) / (B * O)
        grads = []
        for i in reversed(range(len(layers))):
            W, b = layers[i]
            grads.insert(0, np.concatenate([(d.T @ acts[i]).ravel(), d.sum(0)]))
            if i > 0:
                d = (d @ W) * df(zs[i - 1])
        return float(np.mean((h - y) ** 2)), np.concatenate(grads)

    o = cfg["optimizer"]
    p = np.array(cfg["parameters"], dtype=np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    losses = []
    for step in range(cfg["steps"]):
        lr = o["learningRate"] * (o["decayFactor"] ** (step // o["decayEverySteps"]) if o["decayEverySteps"] > 0 else 1)
        loss, g = loss_and_grad(p)
        losses.append(loss)
        if o["method"] == "adam":
            p = p * (1 - lr * o["weightDecay"])
            m = o["beta1"] * m + (1 - o["beta1"]) * g
            v = o["beta2"] * v + (1 - o["beta2"]) * g * g
            bc1, bc2 = 1 - o["beta1"] ** (step + 1), 1 - o["beta2"] ** (step + 1)
            p = p - lr / bc1 * m / (np.sqrt(v) / math.sqrt(bc2) + o["epsilon"])
        else:
            g = g + o["weightDecay"] * p
            m = o["momentum"] * m + g
            p = p - lr * m
    result = {"numpy": {"parameters": p.tolist(), "losses": losses}}

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.manual_seed(0)
        layers = [torch.nn.Linear(widths[i - 1], widths[i]) for i in range(1, len(widths))]
        act_fn = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}[act]
        modules = []
        for i, layer in enumerate(layers):
            modules.append(layer)
            if i < len(layers) - 1: modules.append(act_fn())
        net = torch.nn.Sequential(*modules)
        with torch.no_grad():
            for layer, (W, b) in zip(layers, unpack(np.array(cfg["parameters"]))):
                layer.weight.copy_(torch.tensor(W, dtype=torch.float32))
                layer.bias.copy_(torch.tensor(b, dtype=torch.float32))
        if o["method"] == "adam":
            opt = torch.optim.AdamW(net.parameters(), lr=o["learningRate"], betas=(o["beta1"], o["beta2"]),
                                    eps=o["epsilon"], weight_decay=o["weightDecay"])
        else:
            opt = torch.optim.SGD(net.parameters(), lr=o["learningRate"], momentum=o["momentum"],
                                  weight_decay=o["weightDecay"])
        every = o["decayEverySteps"]
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=every if every > 0 else 10**9, gamma=o["decayFactor"])
        xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
        tl = []
        for step in range(cfg["steps"]):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xt), yt)
            tl.append(float(loss))
            loss.backward()
            opt.step()
            sched.step()
        flat = torch.cat([t for layer in layers for t in (layer.weight.detach().ravel(), layer.bias.detach())])
        result["torch"] = {"parameters": flat.double().tolist(), "losses": tl}
    json.dump(result, open(sys.argv[2], "w"))
    """#

private struct ReferenceInput: Encodable {
    var widths: [Int]
    var activation: String
    var parameters: [Float]
    var inputs: [[Float]]
    var outputs: [[Float]]
    var inputMean: [Float]
    var inputStd: [Float]
    var outputMean: [Float]
    var outputStd: [Float]
    var optimizer: OptimizerConfiguration
    var steps: Int
}

private struct ReferenceRun: Decodable {
    var parameters: [Double]
    var losses: [Double]
}

@Suite struct NumpyReferenceTests {
    static let optimizers: [OptimizerConfiguration] = [
        OptimizerConfiguration(
            method: .adam, learningRate: 1e-2, weightDecay: 0.05, decayEverySteps: 2, decayFactor: 0.5),
        OptimizerConfiguration(
            method: .sgd, learningRate: 5e-2, weightDecay: 0.01, momentum: 0.9, decayEverySteps: 2, decayFactor: 0.5),
    ]

    @Test(
        .requiresNumpy,
        arguments: Activation.allCases, optimizers)
    func stepsMatchTheNumpyReference(activation: Activation, optimizer: OptimizerConfiguration) throws {
        let configuration = TestData.configuration(
            inputs: 3, hidden: [5, 4], outputs: 3, activation: activation, optimizer: optimizer, batch: 6, seed: 9)
        let samples = TestData.randomSamples(count: 6, inputs: 3, outputs: 3, seed: 21)
        let normalizer = Normalizer(
            inputMean: [0.1, -0.2, 0.3], inputStd: [0.5, 2, 1.5], outputMean: [0.25, 0, -0.5],
            outputStd: [0.75, 1.25, 0.5])
        let trainer = try Trainer(configuration: configuration)
        try trainer.setNormalizer(normalizer)
        let initial = trainer.parameters
        let steps = 3
        var losses: [Float] = []
        for _ in 0..<steps { losses.append(try trainer.step(samples).loss) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("melissa-numpy-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("reference.py")
        let input = directory.appendingPathComponent("input.json")
        let output = directory.appendingPathComponent("output.json")
        try referenceScript.write(to: script, atomically: true, encoding: .utf8)
        try JSONEncoder().encode(
            ReferenceInput(
                widths: configuration.architecture.widths, activation: activation.rawValue, parameters: initial,
                inputs: samples.map(\.input), outputs: samples.map(\.output.array), inputMean: normalizer.inputMean,
                inputStd: normalizer.inputStd, outputMean: normalizer.outputMean, outputStd: normalizer.outputStd,
                optimizer: optimizer, steps: steps)
        ).write(to: input)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: HostTools.numpyPython ?? "/usr/bin/python3")
        process.arguments = [script.path, input.path, output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the reference failed:\n\(errorText)")
        let references = try JSONDecoder().decode([String: ReferenceRun].self, from: Data(contentsOf: output))

        let ours = trainer.parameters
        for (name, reference) in references.sorted(by: { $0.key < $1.key }) {
            try #require(reference.parameters.count == ours.count)
            var worst = 0.0
            for (mine, theirs) in zip(ours, reference.parameters) {
                worst = max(worst, abs(Double(mine) - theirs) / max(abs(theirs), 1e-2))
            }
            #expect(worst <= 1e-4, "\(name): worst relative difference \(worst) after \(steps) steps")
            for (mine, theirs) in zip(losses, reference.losses) {
                #expect(abs(Double(mine) - theirs) <= 1e-4 * theirs, "\(name) loss \(mine) vs \(theirs)")
            }
        }
    }
}
