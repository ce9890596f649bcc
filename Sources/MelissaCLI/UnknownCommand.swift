import StudySpec

/// The answer to `melissa run study.yaml`: the word is no command; which one was meant.
enum UnknownCommand {
    /// Words people type for a command, by the command they mean.
    static let synonyms: [String: String] = [
        "run": "launch", "start": "launch", "submit": "launch", "execute": "launch", "go": "launch",
        "check": "validate", "lint": "validate", "verify": "validate",
        "stop": "cancel", "kill": "cancel", "abort": "cancel",
        "show": "status", "info": "status", "ps": "status", "watch": "status",
        "eval": "predict", "evaluate": "predict", "infer": "predict",
        "serve": "server", "results": "report", "summary": "report",
    ]

    /// The message for `arguments` when their first word is neither an option nor one of `commands`; nil otherwise.
    static func message(for arguments: [String], commands: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-"), !commands.contains(word), word != "help" else {
            return nil
        }
        let meant = synonyms[word.lowercased()] ?? Spelling.suggestion(for: word, among: commands)
        var message = "melissa: unknown command `\(word)`"
        if let meant {
            let rest = arguments.dropFirst().joined(separator: " ")
            message += "; did you mean `melissa \(meant)\(rest.isEmpty ? "" : " " + rest)`?"
        } else {
            message += "; the commands are " + commands.map { "`\($0)`" }.joined(separator: ", ")
        }
        return message + " (melissa --help)"
    }
}
