import Launching
import Testing

@Test("a status's checkpoint failures are read; absent (an older server) they are none")
func statusCheckpointFailures() throws {
    let failing =
        #"{"batches": 40, "checkpoint_failures": 3, "last_checkpoint_error": "/s/checkpoint.melissa is a dir"}"#
    let status = try #require(ServerStatus(json: Array(failing.utf8)))
    #expect(status.checkpointFailures == 3)
    #expect(status.lastCheckpointError == "/s/checkpoint.melissa is a dir")
    let recovered = try #require(
        ServerStatus(json: Array(#"{"checkpoint_failures": 3, "last_checkpoint_error": null}"#.utf8)))
    #expect(recovered.checkpointFailures == 3 && recovered.lastCheckpointError == nil)
    let older = try #require(ServerStatus(json: Array(#"{"batches": 40}"#.utf8)))
    #expect(older.checkpointFailures == 0 && older.lastCheckpointError == nil)
}
