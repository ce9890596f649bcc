import ArgumentParser

/// The `--scheduler` values of `melissa plan`.
enum SchedulerChoice: String, CaseIterable, ExpressibleByArgument {
    case local
    case slurm
}
