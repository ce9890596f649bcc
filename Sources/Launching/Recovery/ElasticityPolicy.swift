import PlanModel
import Planning

/// Moves the number of simulations in flight between `concurrency.min` and `max` with the server's demand.
///
/// More when the trainer starves (every rank's buffer below the watermark and samples arriving slower than they
/// are trained on); fewer when the buffer is full (a rank's population at capacity).
public struct ElasticityPolicy: Sendable, Hashable {
    /// The smallest window.
    public var minimum: Int
    /// The largest window.
    public var maximum: Int
    /// Samples per rank below which the trainer waits (`buffer.watermark`).
    public var watermark: Int
    /// Samples per rank a buffer holds (`buffer.capacity`).
    public var capacity: Int

    /// Creates a policy.
    public init(minimum: Int, maximum: Int, watermark: Int, capacity: Int) {
        self.minimum = Swift.max(1, minimum)
        self.maximum = Swift.max(self.minimum, maximum)
        self.watermark = watermark
        self.capacity = capacity
    }

    /// The policy of `plan` (`execution.concurrency` and the buffer's watermark and capacity).
    public init(plan: Plan) {
        self.init(
            minimum: plan.concurrency.min, maximum: plan.concurrency.max, watermark: plan.server.buffer.watermark,
            capacity: plan.server.buffer.capacity)
    }

    /// The new window for `status` when `window` simulations may run now, and why it changed (nil: unchanged).
    public func window(after status: ServerStatus, current window: Int) -> (window: Int, reason: String)? {
        let population = status.population
        if capacity > 0, population.contains(where: { $0 >= capacity }), window > minimum {
            return (window - 1, "buffer full (population \(status.totalPopulation), capacity \(capacity) per rank)")
        }
        let starving =
            !population.isEmpty && population.allSatisfy { $0 < watermark }
            && status.receivedPerSecond < status.trainedPerSecond
        if starving, window < maximum {
            return (
                window + 1,
                "trainer starves (population \(status.totalPopulation) below watermark \(watermark) per rank, "
                    + "received \(Int(status.receivedPerSecond))/s < trained \(Int(status.trainedPerSecond))/s)"
            )
        }
        return nil
    }
}
