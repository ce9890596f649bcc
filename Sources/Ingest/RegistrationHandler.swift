import WireProtocol

/// Turns one message received on the registration socket into the reply (`accept` or `refuse`), counting every
/// refusal. Pure: no socket, so it is tested in-process.
struct RegistrationHandler: Sendable {
    let registry: IngestRegistry
    let dataEndpoints: [String]

    /// The reply to `bytes`; every message gets one (a REQ client waits for it).
    func reply(to bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let message: RegisterMessage
        do throws(DecodeError) {
            let preamble = try Preamble.decode(bytes)
            guard preamble.kind == .register else { throw DecodeError.kind(preamble.kind.rawValue) }
            message = try RegisterMessage.decode(bytes)
        } catch {
            registry.count(error.reason)
            if case .version(let version) = error {
                return RefuseMessage(
                    reason: .incompatibleVersion,
                    message: "this server speaks protocol version \(WireFormat.version), not \(version)"
                ).encoded()
            }
            return RefuseMessage(reason: .malformed, message: "malformed register message: \(error)").encoded()
        }
        guard ConstantTime.equal(message.token, registry.configuration.token) else {
            registry.count(.token)
            return RefuseMessage(reason: .wrongToken, message: "wrong study token").encoded()
        }
        switch registry.register(message) {
        case .accepted(let session): return AcceptMessage(session: session, endpoints: dataEndpoints).encoded()
        case .refused(let refusal): return refusal.encoded()
        }
    }
}
