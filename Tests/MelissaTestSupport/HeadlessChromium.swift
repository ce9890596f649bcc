import Foundation

/// Headless Chromium (Debian's `chromium`, installed by scripts/install-deps), rendering a local page as a person
/// would see it: a screenshot, what the page wrote to its console, and every request it made.
///
/// The browser's own background traffic (updates, sync) is switched off, and whatever remains goes to a proxy on
/// the loopback that refuses it: nothing leaves the machine. The page's requests are told from the browser's by
/// their initiator in Chromium's network log.
public enum HeadlessChromium {
    /// The browser, if installed.
    public static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// What a rendering gave.
    public struct Rendering: Sendable {
        /// The screenshot (PNG).
        public var screenshot: URL
        /// The page as the browser built it (`--dump-dom`).
        public var dom: String
        /// Console messages the page logged (`CONSOLE` lines of the browser's log).
        public var consoleMessages: [String]
        /// URLs the page itself requested that are not `file:` or `data:`.
        public var networkRequests: [String]
    }

    static let quietFlags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
        "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-breakpad", "--no-pings",
        "--proxy-server=127.0.0.1:9", "--hide-scrollbars",
    ]

    /// Renders `page` (a local file) at `width` × `height` pixels into `directory`.
    public static func render(_ page: URL, width: Int = 1200, height: Int = 3000, into directory: URL) throws
        -> Rendering
    {
        guard let executable else { throw CocoaError(.executableNotLoadable) }
        let screenshot = directory.appendingPathComponent("screenshot.png")
        let netLog = directory.appendingPathComponent("netlog.json")
        let shot = try ProcessRunner.run(
            executable,
            quietFlags + [
                "--enable-logging=stderr", "--v=0", "--log-net-log=\(netLog.path)",
                "--window-size=\(width),\(height)", "--screenshot=\(screenshot.path)", page.absoluteString,
            ], timeout: 120)
        let dump = try ProcessRunner.run(executable, quietFlags + ["--dump-dom", page.absoluteString], timeout: 120)
        let console = shot.standardError.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Rendering(
            screenshot: screenshot, dom: dump.standardOutput, consoleMessages: console,
            networkRequests: try pageRequests(netLog))
    }

    /// The page's own requests in a network log: `URL_REQUEST_START_JOB` events with an initiator that is an
    /// origin (the browser's own have "not an origin"), except `file:` and `data:` URLs.
    static func pageRequests(_ netLog: URL) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: netLog)) as? [String: Any] ?? [:]
        let constants = object["constants"] as? [String: Any] ?? [:]
        let types = constants["logEventTypes"] as? [String: Int] ?? [:]
        guard let start = types["URL_REQUEST_START_JOB"] else { return [] }
        var requests: [String] = []
        for case let event as [String: Any] in object["events"] as? [Any] ?? [] {
            guard event["type"] as? Int == start, let parameters = event["params"] as? [String: Any],
                let url = parameters["url"] as? String
            else { continue }
            let initiator = parameters["initiator"] as? String ?? ""
            if initiator != "not an origin", !url.hasPrefix("file:"), !url.hasPrefix("data:") { requests.append(url) }
        }
        return requests
    }

    /// Width, height, the variance of the luminance and the number of distinct colours of a PNG, read by Python's
    /// zlib (every PNG filter undone), so that a test can tell a blank page from a drawn one.
    public static func pixelStatistics(_ png: URL) throws -> (width: Int, height: Int, variance: Double, colors: Int) {
        let script = #"""
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            pos, idat = 8, b""
            while pos < len(data):
                n, = struct.unpack(">I", data[pos:pos + 4]); kind = data[pos + 4:pos + 8]; body = data[pos + 8:pos + 8 + n]
                if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
                if kind == b"IDAT": idat += body
                pos += 12 + n
            bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
            raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
            for r in range(h):
                f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                    if f == 1: line[i] = (line[i] + a) & 255
                    elif f == 2: line[i] = (line[i] + b) & 255
                    elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                rows.append(bytes(line)); prev = line
            lum, colors = [], set()
            for line in rows[::4]:
                for x in range(0, stride, bpp * 4):
                    px = line[x:x + 3] if bpp >= 3 else line[x:x + 1] * 3
                    colors.add(bytes(px)); lum.append(0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2])
            mean = sum(lum) / len(lum)
            print(w, h, sum((v - mean) ** 2 for v in lum) / len(lum), len(colors))
            """#
        let run = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, png.path], timeout: 300)
        let fields = run.standardOutput.split(separator: " ").map(String.init)
        guard run.status == 0, fields.count == 4, let width = Int(fields[0]), let height = Int(fields[1]),
            let variance = Double(fields[2].trimmingCharacters(in: .whitespacesAndNewlines)),
            let colors = Int(fields[3].trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: png.path]) }
        return (width, height, variance, colors)
    }
}
