import Foundation
import Launching
import PlanModel
import Planning
import StudySpec
import Testing

/// `SchedulerAdapterFactory`: a plan's scheduler to its adapter.
@Suite("Scheduler adapter factory")
struct SchedulerAdapterFactoryTests {
    @Test("the factory gives each scheduler its adapter, which answers the scheduler's questions")
    func factory() throws {
        let directory = try LauncherTestSupport.study(count: 2, concurrency: 3)
        let plan = try PlanWriter.decode(Data(contentsOf: URL(fileURLWithPath: directory + "/plan.json")))
        let local = SchedulerAdapterFactory.adapter(for: plan, options: LauncherOptions(), firstJobNumber: 5)
        #expect(local is LocalAdapter)
        #expect(local.windowThrottle == .adapterWide && !local.submitsArrays(plan))
        let slurm = SchedulerAdapterFactory.adapter(for: .slurm, options: LauncherOptions())
        #expect(slurm is SlurmAdapter)
        #expect(slurm.windowThrottle == .perArray)
    }
}
