/// Where a training rank's complete samples go (its training buffer; a counting sink in tests and benchmarks).
///
/// Called from the rank's receiving thread (one thread per sink), never from Swift's cooperative pool, so it may
/// block (a full buffer pushing back on reception is the intended back-pressure).
public protocol SampleSink: Sendable {
    /// Takes a complete sample.
    func accept(_ sample: Sample)
}
