import PlanModel
import Sampling
import StudySpec

/// A study template (command, environment value, working directory) parsed once into text and placeholders,
/// then rendered for each simulation.
struct PlaceholderTemplate: Sendable {
    /// What a placeholder stands for (StudySpec's rule for a name).
    typealias Slot = Placeholder.Slot

    /// A piece of the template.
    enum Segment: Sendable, Hashable {
        /// Template text, kept as written.
        case text(String)
        /// A placeholder.
        case slot(Slot)
    }

    /// The values of the built-ins that do not depend on the simulation.
    struct Context: Sendable {
        var studyDirectory: String
        var studyFileDirectory: String
        var studyName: String
        var timeSteps: Int
        var tasks: Int
    }

    let segments: [Segment]

    /// Parses `template`; `place` names it in errors (e.g. `simulation.command`).
    init(_ template: String, parameters: [String], place: String) throws {
        let scalars = Array(template.unicodeScalars)
        var segments: [Segment] = []
        var position = 0
        for occurrence in Placeholder.occurrences(in: template) {
            if occurrence.offset > position {
                segments.append(.text(String(String.UnicodeScalarView(scalars[position..<occurrence.offset]))))
            }
            guard let slot = Slot(name: occurrence.name, parameters: parameters) else {
                throw PlanningError.unknownPlaceholder(name: occurrence.name, in: place)
            }
            segments.append(.slot(slot))
            position = occurrence.offset + occurrence.length
        }
        if position < scalars.count {
            segments.append(.text(String(String.UnicodeScalarView(scalars[position...]))))
        }
        self.segments = segments
    }

    /// The value of `slot` for one simulation, or nil for the attempt (known only at run time).
    static func value(of slot: Slot, id: Int, values: [ParameterValue], context: Context) -> String? {
        switch slot {
        case .parameter(let index): return values[index].description
        case .builtIn(.simulationID): return String(id)
        case .builtIn(.attempt): return nil
        case .builtIn(.studyDir): return context.studyDirectory
        case .builtIn(.studyFileDir): return context.studyFileDirectory
        case .builtIn(.studyName): return context.studyName
        case .builtIn(.timeSteps): return String(context.timeSteps)
        case .builtIn(.tasks): return String(context.tasks)
        }
    }

    /// Renders a trusted shell template: text as written, each placeholder as one quoted shell word.
    func shellCommand(id: Int, values: [ParameterValue], context: Context) -> String {
        var result = ""
        for segment in segments {
            switch segment {
            case .text(let text):
                result += text
            case .slot(let slot):
                if let value = Self.value(of: slot, id: id, values: values, context: context) {
                    result += ShellQuote.word(value)
                } else {
                    result += ShellWordPart.word([.attempt])
                }
            }
        }
        return result
    }

    /// Renders a literal template (every character, template text included, taken literally) as word parts.
    func literalParts(id: Int, values: [ParameterValue], context: Context) -> [ShellWordPart] {
        segments.map { segment in
            switch segment {
            case .text(let text):
                return .literal(text)
            case .slot(let slot):
                if let value = Self.value(of: slot, id: id, values: values, context: context) {
                    return .literal(value)
                }
                return .attempt
            }
        }
    }

    /// The shell expansion that stands for `slot` in the simulation scripts' one rendering of the template, or nil
    /// for a built-in that is the same for every simulation (rendered as its value): parameter `i` is positional
    /// parameter `i + 1`, the id `melissa_id`, the attempt `MELISSA_ATTEMPT:-0`.
    static func expansion(of slot: Slot) -> String? {
        switch slot {
        case .parameter(let index): return String(index + 1)
        case .builtIn(.simulationID): return "melissa_id"
        case .builtIn(.attempt): return "MELISSA_ATTEMPT:-0"
        default: return nil
        }
    }

    /// The trusted shell template for every simulation at once: text as written, each placeholder that differs
    /// between simulations as a quoted expansion (`"${1}"`, `"${melissa_id}"`), the others as quoted words.
    /// Placeholders stand outside quotes (StudySpec checks it), so `"${1}"` is the same one word as `'<value>'`.
    func shellFunction(context: Context) -> String {
        var result = ""
        for segment in segments {
            switch segment {
            case .text(let text):
                result += text
            case .slot(let slot):
                if let name = Self.expansion(of: slot) {
                    result += ShellWordPart.word([.expansion(name)])
                } else {
                    result += ShellQuote.word(Self.value(of: slot, id: 0, values: [], context: context) ?? "")
                }
            }
        }
        return result
    }

    /// A literal template for every simulation at once, as word parts (``shellFunction(context:)``'s expansions).
    func literalFunctionParts(context: Context) -> [ShellWordPart] {
        segments.map { segment in
            switch segment {
            case .text(let text):
                return .literal(text)
            case .slot(let slot):
                if let name = Self.expansion(of: slot) { return .expansion(name) }
                return .literal(Self.value(of: slot, id: 0, values: [], context: context) ?? "")
            }
        }
    }
}
