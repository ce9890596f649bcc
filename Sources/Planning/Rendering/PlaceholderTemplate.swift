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
}
