import PlanModel

extension PlanWriter {
    /// Creates a writer rendering the scripts with `templates` (``ScriptRenderer``).
    public init(templates: TemplateSet) {
        let renderer = ScriptRenderer(templates: templates)
        self.init(scripts: { try renderer.files(for: $0) })
    }
}
