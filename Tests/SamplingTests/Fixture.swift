import Foundation
import Testing

/// Loads CSV fixtures written by Fixtures/make_reference.py.
enum Fixture {
    /// Rows of numbers of a headerless CSV fixture.
    static func numbers(_ name: String) throws -> [[Double]] {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try line.split(separator: ",").map { try #require(Double(String($0))) }
        }
    }
}
