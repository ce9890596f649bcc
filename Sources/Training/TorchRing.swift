import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The shared-memory ring of batch slots between a server rank and its PyTorch trainer (protocol 1; the layout is
/// docs/training.md's, and `python/melissa_torch/ring.py` reads it).
///
/// The server creates the file (in /dev/shm when there is one), maps it and writes normalised rows into a slot; the
/// trainer maps the same file and trains on the slot's rows without a copy, writing each row's loss (and, for a
/// prediction, its outputs) back into it.
final class TorchRing {
    static let magic = Array("MLSRING1".utf8)
    static let version: UInt32 = 1
    static let firstSlotOffset = 4096

    /// The file's path (removed by ``removeFile()`` once the trainer has mapped it).
    let path: String
    let slots: Int
    /// Rows a slot holds.
    let maxRows: Int
    let inputs: Int
    let outputs: Int
    /// Offsets within a slot: the targets and the losses.
    let targetsOffset: Int
    let lossesOffset: Int
    let stride: Int
    private let length: Int
    private let base: UnsafeMutableRawPointer
    private var linked = true

    private static func align(_ value: Int, _ to: Int) -> Int { (value + to - 1) / to * to }

    /// Creates and maps a new ring file in `directory`, named after `name`.
    init(directory: String, name: String, slots: Int, maxRows: Int, inputs: Int, outputs: Int) throws {
        self.slots = slots
        self.maxRows = maxRows
        self.inputs = inputs
        self.outputs = outputs
        targetsOffset = Self.align(4 * maxRows * inputs, 64)
        lossesOffset = targetsOffset + Self.align(4 * maxRows * outputs, 64)
        stride = Self.align(lossesOffset + Self.align(4 * maxRows, 64), 4096)
        length = Self.firstSlotOffset + slots * stride
        path = (directory as NSString).appendingPathComponent(name)
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TrainingError.backend("cannot create the trainer's ring \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw TrainingError.backend("cannot size the trainer's ring \(path) to \(length) bytes: \(reason)")
        }
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            mapped != MAP_FAILED
        else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw TrainingError.backend("cannot map the trainer's ring \(path): \(reason)")
        }
        base = mapped
        var header = [UInt8](repeating: 0, count: 64)
        header.replaceSubrange(0..<8, with: Self.magic)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(Self.version, at: 8)
        put(UInt32(slots), at: 12)
        put(UInt32(maxRows), at: 16)
        put(UInt32(inputs), at: 20)
        put(UInt32(outputs), at: 24)
        put(UInt64(stride), at: 32)
        put(UInt64(Self.firstSlotOffset), at: 40)
        header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress.unsafelyUnwrapped, byteCount: 64) }
    }

    deinit {
        munmap(base, length)
        removeFile()
    }

    /// Removes the file (the mappings stay valid): after the trainer has mapped it, nothing is left behind however
    /// the server ends.
    func removeFile() {
        guard linked else { return }
        linked = false
        unlink(path)
    }

    private func slotBase(_ slot: Int) -> UnsafeMutableRawPointer { base + Self.firstSlotOffset + slot * stride }

    /// Slot `slot`'s inputs, `maxRows × inputs` row-major.
    func inputs(_ slot: Int) -> UnsafeMutablePointer<Float> {
        slotBase(slot).assumingMemoryBound(to: Float.self)
    }

    /// Slot `slot`'s targets (and a prediction's outputs), `maxRows × outputs` row-major.
    func targets(_ slot: Int) -> UnsafeMutablePointer<Float> {
        (slotBase(slot) + targetsOffset).assumingMemoryBound(to: Float.self)
    }

    /// Slot `slot`'s per-row losses.
    func losses(_ slot: Int) -> UnsafeMutablePointer<Float> {
        (slotBase(slot) + lossesOffset).assumingMemoryBound(to: Float.self)
    }
}
