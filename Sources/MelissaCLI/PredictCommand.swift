import ArgumentParser
import Foundation
import PlanModel
import Training

extension Melissa {
    /// `melissa predict`: evaluates a trained surrogate model file.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a trained surrogate for one parameter set and time step.",
            discussion: """
                MODEL is a surrogate model file (docs/training.md): the native trainer's, or a PyTorch-trained one, which \
                runs through python3 and melissa's melissa_torch package. Give every parameter by name, \
                `--param T0=300 --param T1=120 ...` (or by position, `--param 300 --param 120 ...`, when the model \
                has no names). Prints the predicted field, one value per line.
                """
        )

        @Argument(help: "The surrogate model file.", completion: .file())
        var model: String

        @Option(name: .customLong("param"), help: "A parameter value, NAME=VALUE (repeat for each parameter).")
        var parameters: [String] = []

        @Option(help: "The time step.")
        var step: Double

        func run() throws {
            let url = URL(fileURLWithPath: model)
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch let error as CocoaError {
                FileHandle.standardError.write(
                    Data("melissa predict: \(FileProblem.describe(error, path: model))\n".utf8))
                throw ExitCode(1)
            }
            if TorchModelFile.isTorchModel(data) { return try predictWithTorch(TorchModelFile(data, path: model)) }
            let surrogate = try Surrogate(contentsOf: url)
            let values = try parameterValues(
                expected: surrogate.architecture.inputCount - 1, names: surrogate.parameterNames)
            for warning in Self.warnings(
                values: values, step: step, names: surrogate.parameterNames, metadata: SurrogateFile.metadata(data))
            {
                FileHandle.standardError.write(Data("melissa predict: warning: \(warning)\n".utf8))
            }
            let field = try surrogate.predict(parameters: values, timeStep: Float(step))
            print(field.map { "\($0)" }.joined(separator: "\n"))
        }

        /// A PyTorch-trained model: its TorchScript module through `python -m melissa_torch.predict`.
        private func predictWithTorch(_ file: TorchModelFile) throws {
            let values = try parameterValues(expected: file.inputCount - 1, names: file.parameterNames)
            for warning in Self.warnings(
                values: values, step: step, names: file.parameterNames, metadata: file.metadata)
            {
                FileHandle.standardError.write(Data("melissa predict: warning: \(warning)\n".utf8))
            }
            let field: [Float]
            do {
                let predictor = try TorchPredictor(file: file, package: try TorchPackage.locate())
                field = try predictor.predict([values + [Float(step)]])[0]
            } catch let error as TrainingError {
                FileHandle.standardError.write(
                    Data("melissa predict: \(model) is a PyTorch model, and predicting with it failed: \(error)\n".utf8)
                )
                throw ExitCode(1)
            }
            print(field.map { "\($0)" }.joined(separator: "\n"))
        }

        /// Where the prediction extrapolates: a step past the study's time steps, a parameter outside the support
        /// its distribution had (the model file's metadata says both; an older file says nothing).
        static func warnings(values: [Float], step: Double, names: [String], metadata: [String: String])
            -> [String]
        {
            var warnings: [String] = []
            if let steps = metadata["time_steps"].flatMap(Int.init), step < 0 || step > Double(steps - 1) {
                warnings.append(
                    "step \(step) is outside the steps trained on (0 … \(steps - 1)): the prediction extrapolates")
            }
            for (name, value) in zip(names, values) {
                let bounds = metadata["range." + name]?.split(separator: " ").compactMap { Double($0) } ?? []
                guard bounds.count == 2, Double(value) < bounds[0] || Double(value) > bounds[1] else { continue }
                warnings.append(
                    "\(name) = \(value) is outside the values trained on [\(bounds[0]), \(bounds[1])]: "
                        + "the prediction extrapolates")
            }
            return warnings
        }

        private func parameterValues(expected: Int, names: [String]) throws -> [Float] {
            var byName: [String: Float] = [:]
            var positional: [Float] = []
            for argument in parameters {
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                guard let text = parts.last, let value = Float(text) else {
                    throw ValidationError("--param \(argument): expected NAME=VALUE with a number")
                }
                if parts.count == 2 { byName[parts[0]] = value } else { positional.append(value) }
            }
            if byName.isEmpty {
                guard positional.count == expected else {
                    throw ValidationError("the model takes \(expected) parameters, got \(positional.count)")
                }
                return positional
            }
            guard !names.isEmpty else {
                throw ValidationError("this model has no parameter names; give the values by position")
            }
            let unknown = byName.keys.filter { !names.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw ValidationError(
                    "unknown parameter(s) \(unknown.joined(separator: ", ")); the model takes "
                        + names.joined(separator: ", "))
            }
            let missing = names.filter { byName[$0] == nil }
            guard missing.isEmpty else {
                throw ValidationError("missing --param for \(missing.joined(separator: ", "))")
            }
            return names.compactMap { byName[$0] }
        }
    }
}
