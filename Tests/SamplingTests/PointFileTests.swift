import Testing

@testable import Sampling

struct PointFileTests {
    @Test func readsColumnsInTheRequestedOrder() throws {
        let text = "b, a ,c\r\n1,2.5,x\n\n-4,1e3,\"y, z\"\n"
        let rows = try PointFile.read(text, columns: ["a", "b", "c"])
        #expect(rows == [[.real(2.5), .integer(1), .text("x")], [.real(1000), .integer(-4), .text("y, z")]])
    }

    @Test func headerOnlyGivesNoRows() throws {
        #expect(try PointFile.read("a,b\n", columns: ["b", "a"]).isEmpty)
    }

    @Test func missingColumnsAreNamed() {
        #expect(throws: SamplingError.missingColumns(["c", "d"])) {
            try PointFile.read("a,b\n1,2\n", columns: ["a", "c", "b", "d"])
        }
    }

    @Test func extraColumnsAreNamed() {
        #expect(throws: SamplingError.unexpectedColumns(["x"])) {
            try PointFile.read("a,x,b\n1,2,3\n", columns: ["a", "b"])
        }
    }

    @Test func raggedRowNamesItsLine() {
        let error = #expect(throws: SamplingError.self) {
            try PointFile.read("a,b\n1,2\n\n3\n", columns: ["a", "b"])
        }
        #expect(error == .raggedRow(line: 4, expected: 2, found: 1))
        #expect(error?.description.hasPrefix("line 4:") == true)
    }

    @Test func emptyFilesAndCellsAreErrors() {
        #expect(throws: SamplingError.emptyFile) { try PointFile.read("", columns: ["a"]) }
        #expect(throws: SamplingError.emptyFile) { try PointFile.read("\n  \n", columns: ["a"]) }
        #expect(throws: SamplingError.emptyCell(line: 3, column: "b")) {
            try PointFile.read("a,b\n1,2\n3, \n", columns: ["a", "b"])
        }
        #expect(throws: SamplingError.duplicateColumn("a")) { try PointFile.read("a,a\n1,2\n", columns: ["a"]) }
        #expect(throws: SamplingError.unterminatedQuote(line: 2)) {
            try PointFile.read("a\n\"open\n", columns: ["a"])
        }
    }
}
