import Foundation
import MelissaTestSupport
import Testing

/// The report page of a real study (`melissa launch`: the real server, stand-in simulations streaming a 4 × 4 field,
/// one of them crashing once), looked at as a person would: rendered in headless Chromium.
@Suite("report page", .serialized)
struct ReportPageTests {
    static func launchedStudy(in root: URL) async throws -> URL {
        let stub = try MelissaRun.mpirunStub(in: root)
        let yaml = """
            study: {name: report, output: study, seed: 3}
            parameters:
              x: {uniform: [0, 1]}
              y: {uniform: [-1, 1]}
            sampler: {kind: sobol, count: 6}
            simulation:
              command: "\(MelissaRun.standIn.path) simulation --fail 1:1 --value {{x}}"
              fields: [{name: f, size: 16, shape: [4, 4]}]
              time_steps: 6
              retries: 2
            buffer: {policy: reservoir, capacity: 200, watermark: 8}
            training:
              model: {kind: mlp, hidden: [16]}
              batch_size: 4
              validation: {simulations: 2, every_batches: 5, require_skill: false}
            execution:
              scheduler: local
              concurrency: {min: 1, max: 3}
              local: {mpirun: \(stub.path)}
            """
        let file = root.appendingPathComponent("study.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let launched = try await MelissaRun.run(["launch", file.path], in: root)
        #expect(launched.status == 0, "\(launched.standardOutput)\n\(launched.standardError)")
        #expect(launched.standardOutput.contains("report/index.html"), "\(launched.standardOutput)")
        return root.appendingPathComponent("study")
    }

    @Test(
        "melissa launch ends with report/index.html: self-contained, every section, drawn, no console error",
        .requiresChromium)
    func theReportRendersInChromium() async throws {
        let root = try HostTools.temporaryDirectory("melissa-report")
        defer { try? FileManager.default.removeItem(at: root) }
        let study = try await Self.launchedStudy(in: root)
        let page = study.appendingPathComponent("report/index.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("<script"), "no script")
        #expect(!html.contains("http://") || html.split(separator: "http://").count - 1 == html.countSVGNamespaces)
        #expect(!html.contains("https://"))

        try await Self.expectRendered(page, in: root)
        // `melissa report` rewrites the same page at any time.
        let again = try await MelissaRun.run(["report", study.path])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("report  \(page.path)"))
    }

    static func expectRendered(_ page: URL, in directory: URL) async throws {
        let rendering = try await Task.detached { try HeadlessChromium.render(page, into: directory) }.value
        #expect(rendering.consoleMessages.isEmpty, "\(rendering.consoleMessages)")
        #expect(rendering.networkRequests.isEmpty, "the page requested \(rendering.networkRequests)")
        for id in ["verdict", "curves", "buffer", "predictions", "simulations", "facts"] {
            #expect(rendering.dom.contains("id=\"\(id)\""), "section \(id)")
        }
        #expect(rendering.dom.contains("<svg"))
        let pixels = try await Task.detached { try HeadlessChromium.pixelStatistics(rendering.screenshot) }.value
        #expect(pixels.width == 1200)
        #expect(pixels.variance > 100, "a blank page has no variance: \(pixels)")
        #expect(pixels.colors > 20, "charts draw in many colours: \(pixels)")
    }
}

extension String {
    /// How often the SVG namespace URI appears (the only `http://` a self-contained page may hold: it fetches nothing).
    fileprivate var countSVGNamespaces: Int {
        components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
    }
}

/// A study whose every simulation fails does not end in "✓ study complete" and exit 0.
@Test func aStudyWithoutAResultExitsNonZeroAndSaysWhy() async throws {
    let root = try HostTools.temporaryDirectory("melissa-noresult")
    defer { try? FileManager.default.removeItem(at: root) }
    let stub = try MelissaRun.mpirunStub(in: root)
    let yaml = """
        study: {name: noresult, output: study, seed: 1}
        parameters:
          x: {uniform: [0, 1]}
        sampler: {kind: sobol, count: 2}
        simulation:
          command: "\(root.path)/no-such-solver {{x}}"
          fields: [{name: f, size: 16}]
          time_steps: 4
          retries: 0
        training:
          model: {kind: mlp, hidden: [8]}
          validation: {simulations: 1, every_batches: 5}
        execution:
          scheduler: local
          concurrency: {min: 1, max: 2}
          local: {mpirun: \(stub.path)}
        """
    let file = root.appendingPathComponent("study.yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    let launched = try await MelissaRun.run(["launch", file.path], in: root)
    #expect(launched.status == 1, "\(launched.standardOutput)\n\(launched.standardError)")
    #expect(launched.standardOutput.contains("✗ study ended without a result: 0 simulations done, 3 given up"))
    #expect(!launched.standardOutput.contains("✓"))
    #expect(launched.standardOutput.contains("No usable surrogate"))
    // The failing simulations' own words, and no model trained on nothing.
    #expect(launched.standardOutput.contains("last lines of "), "\(launched.standardOutput)")
    #expect(launched.standardOutput.contains("no-such-solver"))
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("study/model.melissa").path))
    #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("study/report/index.html").path))
    // `melissa status` takes the study file too, as `melissa launch` does.
    let status = try await MelissaRun.run(["status", file.path], in: root)
    #expect(status.status == 0, "\(status.standardError)")
    #expect(status.standardOutput.contains("study noresult"), "\(status.standardOutput)")
}
