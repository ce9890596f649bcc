import Foundation
import Ingest
import PlanModel
import WireProtocol

extension IngestConfiguration {
    /// The ingest of `plan`'s training server for rank `rank` of `ranks`: the study's simulations, fields, time steps,
    /// simulation ranks (`simulation.resources.tasks`) and silence timeout, the session token `token`, and the parameter set of each attempt from `parameterSets`.
    ///
    /// A loopback `host` is bound as it is; any other name or address is published (`advertisedHost`) while every
    /// interface is bound. A multi-rank server's processes are rank processes (`rank` set); a one-rank server is one
    /// process serving every rank.
    init(
        plan: Plan, token: String, host: String, rank: Int, ranks: Int, studyDirectory: URL,
        parameterSets: ParameterSets
    ) {
        let loopback = host == "127.0.0.1" || host == "localhost" || host == "::1"
        self.init(
            token: Array(token.utf8), simulationIDs: Set(plan.simulations.map { UInt32($0.id) }),
            fields: Self.declaredFields(of: plan), timeSteps: UInt32(plan.simulation.timeSteps), trainingRanks: ranks,
            host: loopback ? host : "*", studyDirectory: studyDirectory,
            silenceTimeout: Double(plan.simulation.timeoutSeconds))
        if !loopback { advertisedHost = host }
        simulationRanks = UInt32(clamping: plan.simulation.resources.tasks)
        if ranks > 1 { self.rank = rank }
        self.parameterSet = { [parameterSets] simulation, attempt in
            parameterSets.parameterSet(simulationID: simulation, attempt: attempt)
        }
    }

    /// The fields every time step carries, as the plan declares them (their sizes were checked to be given).
    static func declaredFields(of plan: Plan) -> [FieldDeclaration] {
        plan.server.fields.map { FieldDeclaration(name: $0.name, size: UInt64($0.size ?? 0)) }
    }
}
