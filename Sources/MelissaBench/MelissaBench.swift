import ArgumentParser

@main
struct MelissaBench: ParsableCommand {}
