import Foundation
import Mustache
import PlanModel

/// The Mustache templates scripts are rendered from: the built-in ones (`templates/` in the repository), each
/// replaced by a file of the same name in a study's own template directory.
///
/// Values reach templates already quoted for the shell, so templates are rendered without any escaping:
/// `{{name}}` and `{{{name}}}` are the same.
public struct TemplateSet: Sendable {
    /// The built-in templates and partials, without the `.mustache` extension.
    public static let names = [
        "slurm-server.sbatch", "slurm-simulations.sbatch", "slurm-simulation.sbatch",
        "local-server.sh", "local-simulation.sh", "local-worker.sh", "slurm-allocation.sbatch", "slurm-worker.sbatch",
        "exports", "simulation-run", "simulation-command", "wait-forwarding-signals", "allocation-step", "site-header",
        "site-setup",
    ]

    /// The names taken from the study's template directory.
    public private(set) var overridden: [String]
    private var library: MustacheLibrary

    /// The built-in templates, with every `<name>.mustache` of `directory` (when given) in place of its own.
    public init(overridesIn directory: URL? = nil) throws {
        guard let builtIn = Self.builtInDirectory else {
            throw PlanningError.template(
                name: "templates", reason: "the built-in templates are missing from the bundle")
        }
        var sources: [String: String] = [:]
        for name in Self.names {
            sources[name] = try Self.read(builtIn.appendingPathComponent(name + ".mustache"), name: name)
        }
        var overridden: [String] = []
        if let directory {
            let files: [String]
            do {
                files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            } catch {
                throw PlanningError.template(name: directory.path, reason: "cannot list the study's template directory")
            }
            for file in files.sorted() where file.hasSuffix(".mustache") {
                let name = String(file.dropLast(".mustache".count))
                sources[name] = try Self.read(directory.appendingPathComponent(file), name: name)
                overridden.append(name)
            }
        }
        try self.init(sources: sources, overridden: overridden)
    }

    /// Templates from memory, by name (for tests and tools).
    public init(sources: [String: String], overridden: [String] = []) throws {
        var library = MustacheLibrary()
        for (name, source) in sources.sorted(by: { $0.key < $1.key }) {
            do {
                // Plain text, no HTML escaping, in every template and partial.
                try library.register("{{% CONTENT_TYPE: TEXT }}" + source, named: name)
            } catch {
                throw PlanningError.template(name: name, reason: String(describing: error))
            }
        }
        self.library = library
        self.overridden = overridden
    }

    /// Where the built-in templates are installed (the Planning module's resource bundle).
    public static var builtInDirectory: URL? {
        Bundle.module.url(forResource: "Templates", withExtension: nil)
    }

    /// Renders template `name` with `context`.
    func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let text = library.render(context, withTemplate: name) else {
            throw PlanningError.template(name: name, reason: "no such template")
        }
        return text
    }

    private static func read(_ url: URL, name: String) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PlanningError.template(name: name, reason: "cannot read \(url.path)")
        }
    }
}
