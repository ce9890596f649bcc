// Streams the known pattern of python_stream.py from Swift through the C API
// (clients/tests/run-client-tests): one process, MPI initialised by melissa_init_world.
import CMelissaClient
import Foundation

func check(_ status: Int32, _ what: String) {
    if status != 0 {
        let message = String(cString: melissa_last_error())
        FileHandle.standardError.write("swift_stream: \(what): \(message)\n".data(using: .utf8)!)
        exit(1)
    }
}

let steps = Int(ProcessInfo.processInfo.environment["MELISSA_TIME_STEPS"] ?? "") ?? 0
let local = 5
check(melissa_init_world("pressure", local), "melissa_init_world pressure")
check(melissa_init_world("density", local), "melissa_init_world density")
for t in 0..<steps {
    let pressure = (0..<local).map { Double($0 + 1000 * t) }
    let density = (0..<local).map { Float($0 + 1000 * t) + 0.5 }
    check(pressure.withUnsafeBufferPointer { melissa_send("pressure", $0.baseAddress) }, "melissa_send pressure")
    check(
        density.withUnsafeBufferPointer { melissa_send_float("density", $0.baseAddress) }, "melissa_send_float density")
}
check(melissa_finalize(), "melissa_finalize")
print("swift_stream: sent \(steps) steps")
