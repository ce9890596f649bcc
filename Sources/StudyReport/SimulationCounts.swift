/// How many of a study's simulations are done, failed (their latest attempt), given up, or still to run.
struct SimulationCounts {
    var total = 0
    var done = 0
    var failed = 0
    var givenUp = 0

    init(_ record: StudyRecord) {
        total = record.plan.simulations.count
        for simulation in record.plan.simulations {
            switch record.state(of: simulation.id) {
            case "done": done += 1
            case "given up": givenUp += 1
            case "failed", "timed_out", "out_of_memory", "node_failure", "boot_failure", "deadline": failed += 1
            default: break
            }
        }
    }
}
