import Foundation
import Training

/// The model a report predicts with: the native trainer's network, or a PyTorch-trained model file (predicted
/// through `python -m melissa_torch.predict`).
public enum ReportModel {
    /// The native network with its normalisation.
    case native(Surrogate)
    /// A PyTorch-trained model file.
    case torch(TorchModelFile)

    /// The model in the model file `data`; nil when it is neither kind.
    init?(modelFile data: Data) {
        if TorchModelFile.isTorchModel(data) {
            guard let file = try? TorchModelFile(data) else { return nil }
            self = .torch(file)
        } else {
            guard let surrogate = try? SurrogateFile.decode(data) else { return nil }
            self = .native(surrogate)
        }
    }

    /// The raw outputs for raw `inputs` (each the parameters, then the time step).
    func predict(_ inputs: [[Float]]) throws -> [[Float]] {
        switch self {
        case .native(let surrogate): return try inputs.map { try surrogate.predict(input: $0) }
        case .torch(let file):
            let predictor = try TorchPredictor(file: file, package: try TorchPackage.locate())
            return try predictor.predict(inputs)
        }
    }
}
