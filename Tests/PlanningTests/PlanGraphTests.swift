import Foundation
import PlanModel
import Planning
import Sampling
import StudySpec
import Testing

@Suite struct PlanGraphTests {
    @Test func countsIdsAndRoles() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        #expect(plan.schemaVersion == 2)
        #expect(plan.simulations.count == 10)
        #expect(plan.trainingCount == 8)
        #expect(plan.validationCount == 2)
        #expect(plan.simulations.map(\.id) == Array(0..<10))
        #expect(plan.simulations.prefix(8).allSatisfy { $0.role == .training })
        #expect(plan.simulations.suffix(2).allSatisfy { $0.role == .validation })
        #expect(plan.parameters.map(\.name) == ["T0", "n", "solver"])
        #expect(plan.parameters.map(\.type) == [.real, .integer, .text])
        #expect(plan.studyDirectory == TestSupport.studyDirectory)
        #expect(plan.tokenFile == TestSupport.studyDirectory + "/token")
        #expect(plan.serverAddressFile == TestSupport.studyDirectory + "/server.address")
        #expect(plan.server.name == "heat-server")
        #expect(plan.simulationJobName == "heat-sim")
        #expect(plan.server.command == [TestSupport.melissa, "server", TestSupport.studyDirectory])
        #expect(plan.server.resources.tasks == 2)
        #expect(
            plan.dependencies == [JobDependency(dependent: .simulations, prerequisite: .server, condition: .listening)])
        for job in plan.simulations {
            guard case .real(let t0) = job.values[0], case .integer(let n) = job.values[1],
                case .text(let solver) = job.values[2]
            else {
                Issue.record("unexpected value types \(job.values)")
                continue
            }
            #expect((100...500).contains(t0))
            #expect((1...8).contains(n))
            #expect(["cg", "gmres"].contains(solver))
        }
    }

    @Test func commandLinesQuoteEveryPlaceholder() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        let job = plan.simulations[3]
        let rendered = try plan.renderedSimulation(job)
        let expected =
            "'/home/alice/studies'/bin/heat --steps '50' --t0 '\(job.values[0])' -n '\(job.values[1])' "
            + "--solver '\(job.values[2])' --run '3'.\"${MELISSA_ATTEMPT:-0}\""
        #expect(rendered.command == expected)
        #expect(rendered.workingDirectory == "'/scratch/melissa/heat/simulations/3'")
        #expect(
            rendered.environment == [
                RenderedVariable(name: "OMP_NUM_THREADS", word: "'2'"),
                RenderedVariable(name: "HEAT_TAG", word: "'heat-3-'\"${MELISSA_ATTEMPT:-0}\""),
            ]
        )
    }

    @Test func validationIsDrawnWithItsOwnSeed() throws {
        var study = TestSupport.study()
        study.training.validation = ValidationSpec(simulations: 3, seed: 777)
        let plan = try TestSupport.plan(study)
        let validation = try #require(plan.samplers.validation)
        #expect(validation.seed == 777)
        #expect(validation.kind == .monteCarlo)
        #expect(validation.drawn == 3)
        let training = try #require(plan.samplers.training)
        #expect(training.seed == 42)
        #expect(training.drawn == 8)
        // Changing the validation seed changes the validation points only.
        study.training.validation.seed = 778
        let other = try TestSupport.plan(study)
        #expect(other.simulations.prefix(8).map(\.values) == plan.simulations.prefix(8).map(\.values))
        #expect(other.simulations.suffix(3).map(\.values) != plan.simulations.suffix(3).map(\.values))
        // Default seed: the study's + 1.
        study.training.validation.seed = nil
        #expect(try TestSupport.plan(study).samplers.validation?.seed == 43)
    }

    @Test func validationFromFile() throws {
        var study = TestSupport.study()
        study.training.validation = ValidationSpec(file: "validation.csv")
        let csv = "T0,n,solver\n150.5,2,cg\n420,7,\"gmres\"\n"
        let plan = try Planner.plan(TestSupport.input(study)) { url in
            #expect(url.path == "/home/alice/studies/validation.csv")
            return csv
        }
        #expect(plan.validationCount == 2)
        #expect(plan.samplers.validation == nil)
        #expect(plan.simulations[8].values == [.real(150.5), .integer(2), .text("cg")])
        #expect(plan.simulations[9].values == [.real(420), .integer(7), .text("gmres")])
    }

    @Test func totalsAreExact() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        // Server: 2 tasks × 4 CPUs × 2 h = 16 core-hours, 1 node × 2 h, 1 GPU × 1 node × 2 h.
        // Simulations: 10 × 4 tasks × 2 CPUs × 0.5 h = 40 core-hours, 10 × 1 node × 0.5 h = 5 node-hours.
        #expect(plan.totals == PlanTotals(jobs: 11, coreHours: 56, nodeHours: 7, gpuHours: 2))
    }

    @Test func samplerStatesResume() throws {
        let plan = try TestSupport.plan(TestSupport.study())
        let state = try #require(plan.samplers.training)
        var resumed = try UnitSampler(state: state)
        let more = try resumed.draw(4)
        var fresh = try UnitSampler(state: SamplerState(kind: state.kind, dimension: 3, seed: state.seed))
        let all = try fresh.draw(12)
        #expect(Array(all.values.suffix(12)) == more.values)
        #expect(Array(all.values.prefix(24)) != Array(more.values.prefix(24)))
        #expect(resumed.state.drawn == 12)
    }

    @Test func planRoundTripsThroughJSON() throws {
        for study in [TestSupport.study(), TestSupport.study(scheduler: .slurm, packing: .jobs)] {
            let plan = try TestSupport.plan(study)
            let data = try PlanWriter.encode(plan)
            let decoded = try PlanWriter.decode(data)
            #expect(decoded == plan)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("\"schema_version\" : 2"))
        }
    }

    @Test func slurmPlanAndPacking() throws {
        let array = try TestSupport.plan(TestSupport.study(scheduler: .slurm))
        #expect(array.scheduler == .slurm)
        #expect(array.packing == .array)
        #expect(array.scripts.simulations == "scripts/simulations.sbatch")
        #expect(array.simulations.allSatisfy { array.simulationScript($0.id) == nil })
        #expect(array.server.slurm?.partition == "gpu")
        #expect(array.server.slurm?.account == "proj123")
        #expect(array.server.launcher == ["srun", "--mpi=pmix"])
        let jobs = try TestSupport.plan(TestSupport.study(scheduler: .slurm, packing: .jobs))
        #expect(jobs.scripts.simulations == nil)
        #expect(jobs.simulationScript(4) == "scripts/simulation-4.sbatch")
        // --scheduler overrides the study.
        let local = try Planner.plan(
            PlanInput(
                study: TestSupport.study(scheduler: .slurm),
                studyFileDirectory: TestSupport.studyFileDirectory,
                scheduler: .local,
                melissaExecutable: TestSupport.melissa
            )
        )
        #expect(local.scheduler == .local)
        #expect(local.studyDirectory == "/home/alice/studies/runs/heat")
        #expect(local.simulation.launcher == ["mpirun", "-np", "4"])
    }

    @Test func unknownPlaceholderAndMultilineCommandAreErrors() throws {
        var study = TestSupport.study()
        study.simulation.command = "run {{nope}}"
        #expect(throws: PlanningError.unknownPlaceholder(name: "nope", in: "simulation.command")) {
            try TestSupport.plan(study)
        }
        study.simulation.command = "run {{T0}}\nrm x"
        #expect(throws: PlanningError.multilineCommand) { try TestSupport.plan(study) }
    }

    @Test func gridCoversEveryChoice() throws {
        var study = TestSupport.study()
        study.parameters = [Parameter(name: "solver", distribution: .choice([.text("a"), .text("b"), .text("c")]))]
        study.sampler = SamplerSpec(kind: .grid, count: 0)
        study.simulation.command = "run {{solver}}"
        study.simulation.environment = []
        let plan = try TestSupport.plan(study)
        #expect(plan.trainingCount == 3)
        #expect(Set(plan.simulations.prefix(3).map { $0.values[0] }) == [.text("a"), .text("b"), .text("c")])
    }
}
