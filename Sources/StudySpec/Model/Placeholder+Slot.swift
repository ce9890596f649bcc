extension Placeholder {
    /// What a placeholder's name stands for: a parameter (by its index in the study's order) or a built-in.
    ///
    /// The one rule for a name, shared by the study file's checks and the planner's rendering: a parameter first,
    /// then a built-in.
    public enum Slot: Sendable, Hashable {
        /// The parameter at this index.
        case parameter(Int)
        /// A built-in.
        case builtIn(BuiltIn)

        /// What `name` stands for among `parameters` (the study's parameter names, in order; the first of a
        /// repeated name counts); nil when it is neither a parameter nor a built-in.
        public init?(name: String, parameters: [String]) {
            if let index = parameters.firstIndex(of: name) {
                self = .parameter(index)
            } else if let builtIn = BuiltIn(rawValue: name) {
                self = .builtIn(builtIn)
            } else {
                return nil
            }
        }
    }
}
