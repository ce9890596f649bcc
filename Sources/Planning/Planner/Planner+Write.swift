import Foundation
import PlanModel

extension Planner {
    /// Writes `plan` into its study directory (``PlanWriter``), its scripts rendered from the study's templates:
    /// the built-in ones, each replaced by the study's own of ``Plan/templatesDirectory``. Returns what was written
    /// and the templates used.
    public static func write(_ plan: Plan) throws -> (result: PlanWriteResult, templates: TemplateSet) {
        let templates = try TemplateSet(overridesIn: plan.templatesDirectory.map { URL(fileURLWithPath: $0) })
        return (try PlanWriter(templates: templates).write(plan), templates)
    }
}
