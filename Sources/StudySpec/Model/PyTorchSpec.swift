import Foundation

/// Which trainer trains the surrogate: melissa's own (the MLP on OpenBLAS) or the user's PyTorch module.
public enum TrainingBackend: String, Sendable, Hashable, Codable, CaseIterable {
    /// The native trainer: the MLP of `training.model`, float32 on OpenBLAS (the default).
    case native
    /// The user's PyTorch module (`training.pytorch`), one Python trainer process per training rank.
    case pytorch
}

/// The `training.pytorch` section: the user's module, its factory and hooks, the device.
public struct PyTorchSpec: Sendable, Hashable, Codable {
    /// Where the trainer runs its module.
    public enum Device: String, Sendable, Hashable, Codable, CaseIterable {
        /// `cuda` when torch sees a GPU, else `cpu`.
        case auto
        /// The CPU.
        case cpu
        /// A CUDA GPU (the rank's local rank modulo the GPUs it sees).
        case cuda
    }

    /// The Python file of the model, as an absolute path (the study file gives it relative to its own directory).
    public var module: String
    /// The factory `make_model(inputs, outputs, config) -> torch.nn.Module`. Default: `make_model`.
    public var model: String
    /// An optional hook `make_optimizer(model, config) -> torch.optim.Optimizer`; nil: Adam or SGD from
    /// `training.optimizer`.
    public var makeOptimizer: String?
    /// An optional hook `loss(prediction, target) -> scalar tensor` (the mean over the rows); nil: mean squared error.
    public var loss: String?
    /// Where the model trains. Default: auto.
    public var device: Device
    /// The Python interpreter that runs the trainer. Default: `python3` (looked up in `PATH`).
    public var python: String
    /// Free-form settings passed to the factory and the hooks as `config` (beside `batch_size`, `fields` and
    /// `parameters`, which the server fills).
    public var options: [String: ConfigValue]

    /// Creates the section.
    public init(
        module: String, model: String = "make_model", makeOptimizer: String? = nil, loss: String? = nil,
        device: Device = .auto, python: String = "python3", options: [String: ConfigValue] = [:]
    ) {
        self.module = module
        self.model = model
        self.makeOptimizer = makeOptimizer
        self.loss = loss
        self.device = device
        self.python = python
        self.options = options
    }
}

/// A plain YAML/JSON value of `training.pytorch.options`.
///
/// Encoded as the plain JSON value it is, but for two cases. A mapping is encoded as `{"kind": "map", "entries":
/// [{"key": …, "value": …}, …]}`, so that its keys survive the plan's snake_case key strategies unchanged (a
/// dictionary's keys would be converted). A whole ``number`` (such as `1.0`) is encoded as `{"kind": "number",
/// "value": 1}`: JSON writes it as `1`, which would come back as an ``integer``.
public indirect enum ConfigValue: Sendable, Hashable, Codable {
    /// null.
    case null
    /// true or false.
    case bool(Bool)
    /// An integer.
    case integer(Int)
    /// A number with a fraction or an exponent.
    case number(Double)
    /// A string.
    case string(String)
    /// A sequence.
    case list([ConfigValue])
    /// A mapping, its keys in order.
    case map([String: ConfigValue])

    private struct Pair: Codable {
        var key: String
        var value: ConfigValue
    }

    private enum Kind: String, Codable {
        case map
        case number
    }

    private enum CodingKeys: String, CodingKey {
        case kind
        case entries
        case value
    }

    /// Decodes a plain JSON value (a mapping from its `[key, value]` pairs, a whole number from its kind).
    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: CodingKeys.self), keyed.contains(.kind) {
            switch try keyed.decode(Kind.self, forKey: .kind) {
            case .map:
                let pairs = try keyed.decode([Pair].self, forKey: .entries)
                self = .map(Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))
            case .number:
                self = .number(try keyed.decode(Double.self, forKey: .value))
            }
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .list(try container.decode([ConfigValue].self))
        }
    }

    /// Encodes the plain JSON value (a mapping as its `[key, value]` pairs, a whole number with its kind).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .map(let entries):
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(Kind.map, forKey: .kind)
            try keyed.encode(
                entries.keys.sorted().map { Pair(key: $0, value: entries[$0] ?? .null) }, forKey: .entries)
        case .number(let value) where value.rounded() == value:
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(Kind.number, forKey: .kind)
            try keyed.encode(value, forKey: .value)
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .list(let values): try container.encode(values)
            case .map: break
            }
        }
    }

    /// The value as Foundation objects for `JSONSerialization` (NSNull, Bool, Int, Double, String, arrays and
    /// dictionaries).
    public var foundationValue: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .integer(let value): value
        case .number(let value): value
        case .string(let value): value
        case .list(let values): values.map(\.foundationValue)
        case .map(let entries): entries.mapValues(\.foundationValue)
        }
    }
}
