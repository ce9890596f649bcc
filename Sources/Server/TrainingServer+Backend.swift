import Foundation
import PlanModel
import StudySpec
import Training

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension TrainingServer {
    /// A fresh trainer of the study's backend for `communicator`'s rank: the native MLP, or the PyTorch trainer
    /// process of this rank (the ranks' trainers meeting for DDP at rank 0's host and a free port).
    func freshTrainer(
        _ configuration: TrainerConfiguration, communicator: some ServerCommunicator, log: (String) -> Void
    ) throws -> any SurrogateTrainer {
        let training = plan.server.training
        guard training.effectiveBackend == .pytorch else { return try Trainer(configuration: configuration) }
        guard let spec = training.pytorch else {
            throw ServerError.plan("training.backend is pytorch but the plan has no training.pytorch section")
        }
        var rendezvous: String?
        if communicator.size > 1 {
            let host = plan.scheduler == .local ? "127.0.0.1" : ProcessInfo.processInfo.hostName
            let mine = communicator.rank == 0 ? "tcp://\(host):\(try Self.freePort())" : ""
            rendezvous = try communicator.allGather(mine)[0]
        }
        var config = spec.options.mapValues(\.foundationValue)
        config["batch_size"] = training.batchSize
        config["parameters"] = plan.parameters.map(\.name)
        config["fields"] = plan.server.fields.map { field -> [String: Any] in
            var entry: [String: Any] = ["name": field.name, "size": field.size ?? 0]
            if let shape = field.shape { entry["shape"] = shape }
            return entry
        }
        let settings = TorchTrainerSettings(
            python: spec.python, module: spec.module, model: spec.model, makeOptimizer: spec.makeOptimizer,
            loss: spec.loss, device: spec.device.rawValue, config: config, threads: training.threads.fixedCount ?? 0,
            package: try TorchPackage.locate(), workingDirectory: studyDirectory)
        let trainer = try TorchTrainer(
            configuration: configuration, settings: settings, rank: communicator.rank, worldSize: communicator.size,
            rendezvous: rendezvous)
        log(
            "PyTorch trainer: \(spec.model) of \(spec.module) on \(trainer.device) (torch \(trainer.torchVersion), "
                + "\(trainer.parameterCount) trainable values)")
        return trainer
    }

    /// `trainer` (fresh, of the study's backend) continued from `checkpoint`: the native trainer from its state, the
    /// PyTorch one from the state its trainer saved. A checkpoint of the other backend is refused.
    func restoredTrainer(
        _ trainer: any SurrogateTrainer, from checkpoint: ServerCheckpoint, url: URL
    ) throws -> any SurrogateTrainer {
        if let torch = trainer as? TorchTrainer {
            guard let state = checkpoint.backendState else {
                throw ServerError.checkpoint(
                    "\(url.path) was written by the native trainer, and this study trains with training.backend "
                        + "pytorch: remove the checkpoint to start afresh, or restart with the backend it was written "
                        + "with")
            }
            try torch.restore(state: checkpoint.trainer, backend: state)
            return torch
        }
        guard checkpoint.backendState == nil else {
            throw ServerError.checkpoint(
                "\(url.path) was written by the PyTorch trainer, and this study trains with the native one: remove "
                    + "the checkpoint to start afresh, or restart with training.backend: pytorch")
        }
        return try Trainer(state: checkpoint.trainer)
    }

    /// Sets this rank's threads as `training.threads` says and returns the line the server logs: OpenBLAS's for the
    /// native trainer (`auto` times its network, ``ThreadCount/apply(architecture:batchSize:)``); for the PyTorch
    /// backend a number is torch's intra-op threads, and `auto` leaves torch its own default (every core).
    func applyThreads(architecture: MLPArchitecture) throws -> String {
        let training = plan.server.training
        guard training.effectiveBackend == .pytorch else {
            return try training.threads.apply(architecture: architecture, batchSize: training.batchSize)
        }
        return training.threads.fixedCount.map { "training.threads \($0) (torch's intra-op threads)" }
            ?? "training.threads auto: torch's own default"
    }

    /// What a PyTorch-trained model file adds to the metadata: the backend and the interpreter its predictor runs.
    func backendMetadata() -> [String: String] {
        guard plan.server.training.effectiveBackend == .pytorch else { return [:] }
        return ["backend": "pytorch", "python": plan.server.training.pytorch?.python ?? "python3"]
    }

    /// A TCP port free on this host now (the kernel's choice), for the trainers' DDP rendezvous.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw ServerError.plan("cannot open a socket: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw ServerError.plan("cannot bind a socket: \(String(cString: strerror(errno)))") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw ServerError.plan("cannot name a socket: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
