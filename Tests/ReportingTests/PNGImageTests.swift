import Foundation
import MelissaTestSupport
import Testing

@testable import Reporting

@Suite struct PNGImageTests {
    @Test func checksumsMatchTheirReferenceValues() {
        #expect(PNGImage.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGImage.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }

    /// Python's zlib and struct read the file back: signature, chunk CRCs, the image data, pixel for pixel.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs /usr/bin/python3"))
    func pythonDecodesTheImagePixelForPixel() throws {
        let width = 300
        let height = 250  // 75,250 bytes of rows: two stored deflate blocks
        let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 3) }
        let directory = try HostTools.temporaryDirectory("png")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("image.png")
        try PNGImage(width: width, height: height, pixels: pixels).encoded().write(to: file)
        try Data(pixels).write(to: directory.appendingPathComponent("pixels.raw"))
        let check = """
            import struct, sys, zlib
            data = open(sys.argv[1] + "/image.png", "rb").read()
            assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
            pos, idat = 8, b""
            while pos < len(data):
                n, = struct.unpack(">I", data[pos:pos + 4]); kind = data[pos + 4:pos + 8]
                body = data[pos + 8:pos + 8 + n]
                assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body), kind
                if kind == b"IHDR": w, h = struct.unpack(">II", body[:8])
                if kind == b"IDAT": idat += body
                pos += 12 + n
            raw = zlib.decompress(idat)
            rows = b"".join(raw[r * (3 * w + 1) + 1:(r + 1) * (3 * w + 1)] for r in range(h))
            assert rows == open(sys.argv[1] + "/pixels.raw", "rb").read()
            print(w, h)
            """
        let run = try ProcessRunner.run("/usr/bin/python3", ["-c", check, directory.path])
        #expect(run.status == 0, "\(run.transcript)")
        #expect(run.standardOutput == "300 250\n")
    }
}
