import Foundation

/// The `{{name}}` placeholders of a study's templates (command, environment values, working directory).
public enum Placeholder {
    /// Built-in placeholders, beside the parameters' names.
    public enum BuiltIn: String, Sendable, CaseIterable {
        /// The simulation's id, 0-based (validation simulations follow the training ones).
        case simulationID = "simulation_id"
        /// The restart count of this simulation, 0 for the first run (read from the environment at run time).
        case attempt
        /// The study directory (absolute).
        case studyDir = "study_dir"
        /// The directory of the study file (absolute), for paths to the simulation's executable.
        case studyFileDir = "study_file_dir"
        /// The study's name.
        case studyName = "study_name"
        /// The number of time steps each simulation sends.
        case timeSteps = "time_steps"
        /// MPI tasks of one simulation.
        case tasks
    }

    /// One `{{name}}` occurrence in a template.
    public struct Occurrence: Sendable, Hashable {
        /// The name between the braces, without surrounding blanks.
        public var name: String
        /// Where `{{` starts, as an offset in unicode scalars from the template's start.
        public var offset: Int
        /// The occurrence's full length in unicode scalars, braces included.
        public var length: Int
    }

    /// The placeholders of `template` in order. `{{ name }}` and `{{name}}` are the same.
    public static func occurrences(in template: String) -> [Occurrence] {
        let scalars = Array(template.unicodeScalars)
        var result: [Occurrence] = []
        var index = 0
        while index + 1 < scalars.count {
            guard scalars[index] == "{", scalars[index + 1] == "{" else {
                index += 1
                continue
            }
            var end = index + 2
            while end + 1 < scalars.count, !(scalars[end] == "}" && scalars[end + 1] == "}") { end += 1 }
            guard end + 1 < scalars.count else { break }
            var name = String(String.UnicodeScalarView(scalars[(index + 2)..<end]))
            name = name.trimmingCharacters(in: .whitespaces)
            result.append(Occurrence(name: name, offset: index, length: end + 2 - index))
            index = end + 2
        }
        return result
    }
}
