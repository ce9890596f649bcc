import ArgumentParser

@main
struct Melissa: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Online training of surrogates from simulation ensembles.")
}
