import Testing

@testable import StudySpec

@Test(arguments: [
    ("10", 600), ("10:30", 630), ("01:00:00", 3600), ("2-00", 172_800), ("1-02:03", 93780), ("1-00:00:01", 86401),
])
func walltimesParse(_ text: String, _ seconds: Int) {
    #expect(Walltime(parsing: text)?.seconds == seconds)
}

@Test(arguments: ["", "0", "00:00:00", "1:2:3:4", "ten", "10:60", "1-24:00", "-5", "10:-1"])
func badWalltimesAreRejected(_ text: String) {
    #expect(Walltime(parsing: text) == nil)
}

@Test func walltimesPrintAsSlurmReadsThem() {
    #expect(Walltime(seconds: 59).description == "00:00:59")
    #expect(Walltime(seconds: 3600 * 25 + 61).description == "1-01:01:01")
    #expect(Walltime(parsing: Walltime(seconds: 93784).description)?.seconds == 93784)
}

@Test func memorySizes() {
    #expect(Quantities.mebibytes("512M") == 512)
    #expect(Quantities.mebibytes("2G") == 2048)
    #expect(Quantities.mebibytes("2GB") == 2048)
    #expect(Quantities.mebibytes("1.5GiB") == 1536)
    #expect(Quantities.mebibytes("1T") == 1_048_576)
    #expect(Quantities.mebibytes("4096") == 4096)
    #expect(Quantities.mebibytes("100K") == 1)
    #expect(Quantities.mebibytes("2X") == nil)
    #expect(Quantities.mebibytes("-1G") == nil)
}

@Test func durations() {
    #expect(Quantities.seconds("90") == 90)
    #expect(Quantities.seconds("90s") == 90)
    #expect(Quantities.seconds("5m") == 300)
    #expect(Quantities.seconds("1h30m") == 5400)
    #expect(Quantities.seconds("2d") == 172_800)
    #expect(Quantities.seconds("00:01:30") == 90)
    #expect(Quantities.seconds("forever") == nil)
    #expect(Quantities.seconds("5x") == nil)
    #expect(Quantities.seconds("0s") == nil)
}

@Test func suggestions() {
    #expect(Spelling.suggestion(for: "capacty", among: ["capacity", "watermark"]) == "capacity")
    #expect(Spelling.suggestion(for: "timeSteps", among: ["time_steps", "timeout"]) == "time_steps")
    #expect(Spelling.suggestion(for: "xyz", among: ["capacity", "watermark"]) == nil)
    #expect(Spelling.editDistance("kitten", "sitting") == 3)
    #expect(Spelling.editDistance("ab", "ba") == 1)
}

@Test func placeholdersAreFound() {
    let found = Placeholder.occurrences(in: "a {{x}} b {{ y_1 }}{{}} {{open")
    #expect(found.map(\.name) == ["x", "y_1", ""])
    #expect(found.map(\.offset) == [2, 10, 19])
    #expect(found.map(\.length) == [5, 9, 4])
}

@Test func quotedRangesFollowTheShell() {
    let command = #"a 'b c' "d \" e" \' f"#
    let ranges = StudyParser.quotedRanges(command)
    #expect(ranges == [2..<6, 8..<15])
}
