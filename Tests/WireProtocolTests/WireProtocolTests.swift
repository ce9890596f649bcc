import Testing
import WireProtocol

@Suite struct WireProtocolTests {
    let token = Array(String(repeating: "ab", count: 32).utf8)

    var register: RegisterMessage {
        RegisterMessage(
            token: token, simulationID: 7, attempt: 2, ranks: 4, timeSteps: 100,
            fields: [FieldDeclaration(name: "temperature", size: 10_000), FieldDeclaration(name: "p", size: 3)])
    }

    @Test func everyMessageRoundTrips() throws {
        #expect(try RegisterMessage.decode(register.encoded()) == register)
        let accept = AcceptMessage(session: 0xDEAD_BEEF_0123_4567, endpoints: ["tcp://127.0.0.1:4000", "tcp://h:1"])
        #expect(try AcceptMessage.decode(accept.encoded()) == accept)
        for reason in RefusalReason.allCases {
            let refuse = RefuseMessage(reason: reason, message: "why: é")
            #expect(try RefuseMessage.decode(refuse.encoded()) == refuse)
        }
        let header = DataHeader(
            simulationID: 3, attempt: 1, session: 99, timeStep: 42, rank: 1, fieldIndex: 1, elementType: .float64,
            elementCount: 1000, offset: 500)
        #expect(try DataHeader.decode(header.encoded()) == header)
        let finish = FinishMessage(simulationID: 3, attempt: 1, session: 99, rank: 1, timeStepsSent: 100)
        #expect(try FinishMessage.decode(finish.encoded()) == finish)
        #expect(try PingMessage.decode(PingMessage(sequence: 12).encoded()) == PingMessage(sequence: 12))
        let status = StatusMessage(sequence: 12, json: Array(#"{"a":1}"#.utf8))
        #expect(try StatusMessage.decode(status.encoded()) == status)
        #expect(try WireMessage.decode(finish.encoded()) == .finish(finish))
    }

    @Test func layoutIsThePublishedOne() {
        let header = DataHeader(
            simulationID: 0x0403_0201, attempt: 5, session: 0x0807_0605_0403_0201, timeStep: 9, rank: 2,
            fieldIndex: 3, elementType: .float32, elementCount: 16, offset: 32
        ).encoded()
        #expect(header.count == 56)
        #expect(Array(header[0..<8]) == [0x4D, 0x4C, 0x53, 0x41, 1, 0, 4, 0])
        #expect(Array(header[8..<12]) == [1, 2, 3, 4])
        #expect(Array(header[16..<24]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(header[32] == 3 && header[34] == 1 && header[40] == 16 && header[48] == 32)
        let bytes = register.encoded()
        #expect(bytes.count == 90 + (2 + 11 + 8) + (2 + 1 + 8))
        #expect(Array(bytes[72..<76]) == [7, 0, 0, 0])
        #expect(bytes[88] == 2 && bytes[90] == 11)
        #expect(FinishMessage(simulationID: 1, attempt: 0, session: 1, rank: 0, timeStepsSent: 1).encoded().count == 32)
    }

    @Test func eachDecodeErrorHasItsReason() {
        var bytes = register.encoded()
        #expect(throws: DecodeError.truncated) { try RegisterMessage.decode(Array(bytes.dropLast())) }
        #expect(throws: DecodeError.oversized) { try RegisterMessage.decode(bytes + [0]) }
        bytes[0] = 0
        #expect(throws: DecodeError.magic) { try RegisterMessage.decode(bytes) }
        #expect(throws: DecodeError.version(2)) { try RegisterMessage.decode(register.encoded(version: 2)) }
        #expect(throws: DecodeError.kind(1)) { try DataHeader.decode(register.encoded()) }
        var noRanks = register
        noRanks.ranks = 0
        #expect(throws: DecodeError.malformed("ranks must be at least 1")) {
            try RegisterMessage.decode(noRanks.encoded())
        }
        var header = DataHeader(
            simulationID: 0, attempt: 0, session: 1, timeStep: 0, rank: 0, fieldIndex: 0, elementType: .float32,
            elementCount: 1, offset: 0
        ).encoded()
        header[34] = 3
        #expect(DecodeError.malformed("") != (try? DataHeader.decode(header)).map { _ in DecodeError.magic })
        #expect(throws: DecodeError.self) { try DataHeader.decode(header) }
        header[34] = 1
        header[36] = 1
        #expect(throws: DecodeError.malformed("reserved bytes are not zero")) { try DataHeader.decode(header) }
        header[36] = 0
        for index in 40..<48 { header[index] = 0xFF }
        #expect(throws: DecodeError.oversized) { try DataHeader.decode(header) }
        #expect(throws: DecodeError.truncated) { try WireMessage.decode([0x4D, 0x4C]) }
        #expect(throws: DecodeError.kind(9)) { try WireMessage.decode([0x4D, 0x4C, 0x53, 0x41, 1, 0, 9, 0]) }
    }

    @Test func reasonsMapOneToOne() {
        #expect(DecodeError.magic.reason == .magic)
        #expect(DecodeError.version(3).reason == .version)
        #expect(DecodeError.kind(3).reason == .kind)
        #expect(DecodeError.truncated.reason == .truncated)
        #expect(DecodeError.oversized.reason == .oversized)
        #expect(DecodeError.malformed("x").reason == .malformed)
    }
}
