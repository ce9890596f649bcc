import Foundation
import Yams

extension StudyParser {
    // MARK: - buffer

    mutating func buffer(_ node: Node) -> BufferSpec {
        var spec = BufferSpec()
        guard let fields = fields(node, "buffer", allowed: ["policy", "capacity", "watermark"]) else { return spec }
        if let value = fields["policy"], let policy = choice(value, "buffer.policy", BufferSpec.Policy.self) {
            spec.policy = policy
        }
        if let value = fields["capacity"],
            let capacity = integer(value, "buffer.capacity", minimum: 1, what: "a positive number of samples")
        {
            spec.capacity = capacity
        }
        if let value = fields["watermark"] {
            if let watermark = integer(value, "buffer.watermark", minimum: 1, what: "a positive number of samples") {
                spec.watermark = watermark
            }
        } else {
            spec.watermark = min(spec.watermark, spec.capacity)
        }
        return spec
    }
}
