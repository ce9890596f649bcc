import Foundation
import Launching
import PlanModel
import Planning
import Sampling
import Server
import Training

/// What a study directory holds, read for its report: the plan, the metrics so far, the journal's jobs, the model
/// or checkpoint, the sizes of the files written. Reading never changes the study: a journal that does not exist yet
/// is not created, and a running study can be read at any time.
public struct StudyRecord {
    /// The study directory.
    public let directory: URL
    /// Its plan.
    public let plan: Plan
    /// Every metrics record so far, in order.
    public let metrics: [MetricsRecord]
    /// Every simulation's jobs (oldest first), when the study was launched.
    public let jobs: [Int: [JournalJob]]
    /// The simulations given up, when the study was launched.
    public let givenUp: Set<Int>
    /// Whether a journal exists (the study was launched).
    public let launched: Bool
    /// The exported surrogate, or else the latest checkpoint's network, when there is either.
    public let model: ReportModel?
    /// Where `model` comes from: `model.melissa`, or the checkpoint at its batch.
    public let modelSource: String?
    /// The held-out samples and buffer read counts the server kept for the report, when it wrote them.
    public let excerpt: ReportExcerpt?
    /// Bytes of each file the study wrote beside its scripts (checkpoints, model, metrics), by name.
    public let writtenBytes: [String: Int64]
    /// Each simulation's values at its latest parameter set (a redraw's, or an adaptive slot's chosen ones), by id.
    public let values: [Int: [ParameterValue]]
    /// An adaptive study's chosen slots: `explore` or `breed`, by id (docs/active-sampling.md).
    public let origins: [Int: String]

    /// Reads the study in `directory`; throws only when it has no readable plan.
    public init(directory: URL) throws {
        self.directory = directory
        let planURL = directory.appendingPathComponent("plan.json")
        guard let data = FileManager.default.contents(atPath: planURL.path) else {
            throw StudyReportError.noPlan(planURL.path)
        }
        plan = try PlanWriter.decode(data)
        metrics = MetricsRecord.readAll(from: directory.appendingPathComponent("metrics.jsonl"))
        let journalPath = directory.appendingPathComponent(Journal.fileName).path
        launched = FileManager.default.fileExists(atPath: journalPath)
        if launched {
            let journal = try Journal(path: journalPath)
            var jobs: [Int: [JournalJob]] = [:]
            for simulation in plan.simulations {
                jobs[simulation.id] = try journal.jobs(simulationID: simulation.id)
            }
            self.jobs = jobs
            givenUp = try journal.givenUpSimulations()
            origins = Self.origins(try journal.decisions(kind: Launcher.proposeKind))
        } else {
            jobs = [:]
            givenUp = []
            origins = [:]
        }
        let redraws =
            (try? RedrawTable.read(from: directory, parameters: plan.parameters)) ?? RedrawTable()
        var values: [Int: [ParameterValue]] = [:]
        for simulation in plan.simulations {
            values[simulation.id] = redraws.entries[simulation.id]?.last?.values ?? simulation.values
        }
        self.values = values
        let names = plan.parameters.map(\.name)
        if let data = FileManager.default.contents(atPath: directory.appendingPathComponent("model.melissa").path),
            let exported = ReportModel(modelFile: data)
        {
            (model, modelSource) = (exported, "model.melissa")
        } else if let (latest, batches) = try? CheckpointSurrogate.read(
            studyDirectory: directory, parameterNames: names)
        {
            (model, modelSource) = (.native(latest), "the checkpoint at batch \(batches)")
        } else {
            (model, modelSource) = (nil, nil)
        }
        excerpt = try? ReportExcerpt.read(from: ReportExcerpt.url(inStudyDirectory: directory))
        writtenBytes = Self.sizes(in: directory)
    }

    /// The origin of every slot the journal's `propose` records chose (a record that cannot be read is left out:
    /// `melissa plan --replay` says what is wrong with it).
    private static func origins(_ records: [String]) -> [Int: String] {
        var origins: [Int: String] = [:]
        for text in records {
            guard let record = try? JSONDecoder().decode(AdaptiveProposer.Record.self, from: Data(text.utf8)) else {
                continue
            }
            for proposal in record.proposals { origins[proposal.simulation] = proposal.origin.rawValue }
        }
        return origins
    }

    private static func sizes(in directory: URL) -> [String: Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var sizes: [String: Int64] = [:]
        for name in names where name.hasSuffix(".melissa") || name == "metrics.jsonl" {
            let path = directory.appendingPathComponent(name).path
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber {
                sizes[name] = size.int64Value
            }
        }
        return sizes
    }

    /// The state of simulation `id`: its latest job's state word, "given up", or "not submitted".
    public func state(of id: Int) -> String {
        if givenUp.contains(id) { return "given up" }
        guard let latest = jobs[id]?.last else { return "not submitted" }
        if jobs[id]?.contains(where: { $0.state == .completed }) == true { return "done" }
        return latest.state.name
    }
}
