import Foundation
import PlanModel
import StudySpec

/// What the planner plans from: a study, where its file lives, and the command line's overrides.
public struct PlanInput: Sendable {
    /// The validated study.
    public var study: Study
    /// The directory of the study file (absolute); relative paths of the study resolve against it.
    public var studyFileDirectory: URL
    /// The study directory, overriding `study.info.output` (`melissa plan --out`).
    public var studyDirectory: URL?
    /// The scheduler, overriding `study.execution.scheduler` (`melissa plan --scheduler`).
    public var scheduler: ExecutionSpec.Scheduler?
    /// The `melissa` executable the server job runs (absolute).
    public var melissaExecutable: String
    /// The `melissa` executable a single allocation's batch script launches the study with (`melissa launch`);
    /// nil: ``melissaExecutable``.
    public var launcherExecutable: String?

    /// Creates the input.
    public init(
        study: Study,
        studyFileDirectory: URL,
        studyDirectory: URL? = nil,
        scheduler: ExecutionSpec.Scheduler? = nil,
        melissaExecutable: String,
        launcherExecutable: String? = nil
    ) {
        self.launcherExecutable = launcherExecutable
        self.study = study
        self.studyFileDirectory = studyFileDirectory
        self.studyDirectory = studyDirectory
        self.scheduler = scheduler
        self.melissaExecutable = melissaExecutable
    }

    /// The study directory: the override, or `study.info.output` resolved against the study file's directory.
    public var resolvedStudyDirectory: URL {
        if let studyDirectory { return studyDirectory.standardizedFileURL }
        return Self.resolve(study.info.output, against: studyFileDirectory)
    }

    /// `path` as an absolute file URL: itself when absolute, otherwise relative to `directory`.
    static func resolve(_ path: String, against directory: URL) -> URL {
        LoadedStudy.resolve(path, relativeTo: directory)
    }
}

extension PlanInput {
    /// The input for a loaded study file.
    public init(
        loaded: LoadedStudy,
        studyDirectory: URL? = nil,
        scheduler: ExecutionSpec.Scheduler? = nil,
        melissaExecutable: String
    ) {
        self.init(
            study: loaded.study,
            studyFileDirectory: loaded.directory,
            studyDirectory: studyDirectory,
            scheduler: scheduler,
            melissaExecutable: melissaExecutable
        )
    }
}
