import CDPTransport
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every real-browser test, one at a time: on a 2-core machine, parallel browser work starves the
/// kernel's teardown of a killed browser and makes the time-bounded checks measure the neighbours.
/// Every event their sessions publish is checked against the published schemas (``WireFormatAudit``).
@Suite(.serialized, .wireFormatAudit) enum Chromium {}

extension Chromium {
@Suite struct LifecycleTests {
    @Test func launchThenCloseLeavesNoProcessAndNoTemporaryProfile() async throws {
        let browser = try await CDPBrowser.launch()
        let pid = try #require(browser.processID)
        let profile = try #require(processCommandLine(pid).split(separator: "\u{0}")
            .first { $0.hasPrefix("--user-data-dir=") }.map { String($0.dropFirst("--user-data-dir=".count)) })
        #expect(FileManager.default.fileExists(atPath: profile))
        #expect(!processes(mentioning: profile).isEmpty)
        let version = try await browser.session.send(Browser.GetVersion())
        #expect(version.product.contains("Chrome"))

        try await browser.close()
        #expect(await eventually(within: .seconds(5)) { processes(mentioning: profile).isEmpty })
        #expect(!FileManager.default.fileExists(atPath: profile))
        #expect(kill(pid, 0) != 0)
        let error = await cdpError { try await browser.session.send(Browser.GetVersion()) }
        #expect(error?.code == .connectionClosed)
    }

    @Test func launchFailuresAreTypedAndCarryStderr() async throws {
        var missing = CDPBrowser.LaunchOptions()
        missing.executablePath = "/nonexistent/chromium"
        let notFound = await cdpError { _ = try await CDPBrowser.launch(missing) }
        #expect(notFound?.code == .launchFailed)
        #expect(notFound?.message.contains("/nonexistent/chromium") == true)

        // A "browser" that complains and exits at once.
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("fake-chrome-\(getpid()).sh").path
        try "#!/bin/sh\necho 'cannot open display: nothing here' >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        defer { try? FileManager.default.removeItem(atPath: script) }
        var failing = CDPBrowser.LaunchOptions()
        failing.executablePath = script
        let exited = await cdpError { _ = try await CDPBrowser.launch(failing) }
        #expect(exited?.code == .launchFailed, "\(String(describing: exited))")
        #expect(exited?.message.contains("exited with code 3") == true, "\(String(describing: exited))")
        #expect(exited?.stderrTail?.contains("cannot open display") == true)

        // A "browser" that never opens its port: the launch gives up in time and kills it.
        let marker = "never-ready-\(getpid())"
        let hanging = FileManager.default.temporaryDirectory.appendingPathComponent("\(marker).sh").path
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: hanging, atomically: true, encoding: .utf8)
        chmod(hanging, 0o755)
        defer { try? FileManager.default.removeItem(atPath: hanging) }
        for (transport, says) in [(CDPBrowser.Transport.pipe, "did not answer within"), (.webSocket, "did not open its DevTools port")] {
            var slow = CDPBrowser.LaunchOptions()
            slow.executablePath = hanging
            slow.launchTimeout = .milliseconds(300)
            slow.transport = transport
            let timedOut = await cdpError { _ = try await CDPBrowser.launch(slow) }
            #expect(timedOut?.code == .launchFailed)
            #expect(timedOut?.message.contains(says) == true, "\(String(describing: timedOut))")
            #expect(await eventually(within: .seconds(5)) { processes(mentioning: "sleep 600").isEmpty })
        }
    }

    /// The browser inherits nothing of the host but stdio (and its pipe): a file the host holds open
    /// without close-on-exec is not open in the browser, nor in any process below it.
    @Test func theBrowserInheritsNoDescriptorOfTheHost() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("host-only-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_RDWR, 0o600)   // no O_CLOEXEC: a plain spawn would pass it on
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        let browser = try await CDPBrowser.launch()
        defer { Task { try? await browser.close() } }
        let pid = try #require(browser.processID)
        #expect(try await evaluate(try await browser.newPage(), "1") == 1)   // up, helpers started
        let holders = processTree(of: pid).filter { child in
            let dir = "/proc/\(child)/fd"
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")) == path
            }
        }
        #expect(holders.isEmpty, "the host's file is open in \(holders)")
        #expect(processTree(of: pid).count > 1, "the browser's helpers were looked at too")
    }

    @Test func killingTheBrowserFailsPendingCommandsWithinASecond() async throws {
        let browser = try await CDPBrowser.launch()
        let pid = try #require(browser.processID)
        registerForKillAtExit(pid)
        let page = try await browser.newPage()
        let pending = Task {
            try await page.send(Runtime.Evaluate(expression: "new Promise(() => {})", awaitPromise: true))
        }
        // The command is on the wire once the connection lists it.
        #expect(await eventually(within: .seconds(5)) { !browser.connection.outstandingCommands.isEmpty })
        let clock = ContinuousClock()
        let killedAt = clock.now
        kill(pid, SIGKILL)
        let error = await cdpError { _ = try await pending.value }
        let elapsed = clock.now - killedAt
        #expect(error?.code == .browserCrashed || error?.code == .connectionClosed)
        #expect(elapsed < .seconds(1), "pending work must fail fast, took \(elapsed)")
        let later = await cdpError { _ = try await page.send(Runtime.Evaluate(expression: "1")) }
        #expect(later?.isConnectionClosed == true)
        try await browser.close()
    }
}

@Suite struct ProtocolTests {
    @Test func evaluatesAndReportsScriptExceptions() async throws {
        let (browser, page) = try await TestBrowser.page()
        defer { Task { try? await browser.closePage(page) } }
        #expect(try await evaluate(page, "1 + 1") == 2)
        let thrown = try await page.send(Runtime.Evaluate(expression: "throw new Error('boom')"))
        #expect(thrown.exceptionDetails?.exception?.description?.contains("boom") == true)
    }

    @Test func unknownMethodIsAProtocolErrorNamingIt() async throws {
        let (browser, page) = try await TestBrowser.page()
        defer { Task { try? await browser.closePage(page) } }
        let error = await cdpError { try await page.send(method: "Nope.notAMethod") }
        #expect(error?.code == .protocolError)
        #expect(error?.method == "Nope.notAMethod")
        #expect(error?.protocolCode == -32601)
        // The page still works.
        #expect(try await evaluate(page, "'still here'") == "still here")
    }

    @Test func deliversLoadAndConsoleEvents() async throws {
        let (browser, page) = try await TestBrowser.page()
        defer { Task { try? await browser.closePage(page) } }
        let console = page.events(Runtime.ConsoleAPICalled.self)
        try await load(page, "<title>t</title><script>console.warn('careful', 7)</script>")
        var iterator = console.makeAsyncIterator()
        let message = try #require(await iterator.next())
        #expect(message.type == .warning)
        #expect(message.args.first?.value == "careful")
        #expect(message.args.last?.value == 7)
    }

    @Test func perCommandDeadlineLeavesTheConnectionHealthy() async throws {
        let (browser, page) = try await TestBrowser.page()
        defer { Task { try? await browser.closePage(page) } }
        let error = await cdpError {
            _ = try await page.send(Runtime.Evaluate(expression: "new Promise(() => {})", awaitPromise: true),
                                    timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(error?.method == "Runtime.evaluate")
        #expect(try await evaluate(page, "3 * 3") == 9)
    }

    @Test func closingATargetFailsItsPendingCommands() async throws {
        let (browser, page) = try await TestBrowser.page()
        let pending = Task {
            try await page.send(Runtime.Evaluate(expression: "new Promise(() => {})", awaitPromise: true))
        }
        #expect(await eventually(within: .seconds(5)) {
            browser.connection.outstandingCommands.contains { $0.sessionId == page.id }
        })
        try await browser.closePage(page)
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.isTargetGone == true)
        #expect(error?.code != .timeout)
    }

    @Test func aCrashedRendererFailsItsWorkAtOnceAndRecoversOnNavigation() async throws {
        let (browser, page) = try await TestBrowser.page()
        let other = try await browser.newPage()
        defer { Task { try? await browser.closePage(page); try? await browser.closePage(other) } }
        let pending = Task {
            try await page.send(Runtime.Evaluate(expression: "new Promise(() => {})", awaitPromise: true))
        }
        #expect(await eventually(within: .seconds(5)) {
            browser.connection.outstandingCommands.contains { $0.sessionId == page.id }
        })
        let crashed = try await page.waitForEvent(Inspector.TargetCrashed.self, timeout: .seconds(10), after: {
            _ = try? await page.send(Page.Crash())
        })
        _ = crashed
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .targetCrashed)
        #expect(error?.method == "Runtime.evaluate")
        let refused = await cdpError { _ = try await page.send(Runtime.Evaluate(expression: "1")) }
        #expect(refused?.code == .targetCrashed)
        // Other tabs are unaffected.
        #expect(try await evaluate(other, "'fine'") == "fine")
        // Navigating brings the page back.
        try await load(page, "<title>back</title>")
        #expect(try await evaluate(page, "document.title") == "back")
    }

    @Test func twoTargetsWorkInParallelAndKeepTheirEventsApart() async throws {
        let (browser, first) = try await TestBrowser.page()
        let second = try await browser.newPage()
        _ = try await second.send(Runtime.Enable())
        defer { Task { try? await browser.closePage(first); try? await browser.closePage(second) } }
        let firstConsole = first.events(Runtime.ConsoleAPICalled.self)
        let secondConsole = second.events(Runtime.ConsoleAPICalled.self)
        async let a = evaluate(first, "window.name = 'first'; console.log('from first'); window.name")
        async let b = evaluate(second, "window.name = 'second'; console.log('from second'); window.name")
        #expect(try await a == "first")
        #expect(try await b == "second")
        var i1 = firstConsole.makeAsyncIterator()
        var i2 = secondConsole.makeAsyncIterator()
        #expect(await i1.next()?.args.first?.value == "from first")
        #expect(await i2.next()?.args.first?.value == "from second")
    }

    @Test func aMultiMegabyteScreenshotArrivesWhole() async throws {
        // A window of its own: a tab behind another one in its window is not painted, and cannot be
        // captured.
        let browser = try await TestBrowser.shared.get()
        let page = try await browser.newPage(newWindow: true)
        _ = try await page.send(Page.Enable())
        defer { Task { try? await browser.closePage(page) } }
        _ = try await page.send(Emulation.SetDeviceMetricsOverride(width: 1920, height: 1080, deviceScaleFactor: 1, mobile: false))
        try await load(page, """
            <body style=margin:0><canvas id=c width=1920 height=1080></canvas><script>
            const c = document.getElementById('c').getContext('2d');
            const img = c.createImageData(1920, 1080);
            for (let i = 0; i < img.data.length; i += 65536) crypto.getRandomValues(img.data.subarray(i, i + 65536));
            for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
            c.putImageData(img, 0, 0);
            </script>
            """)
        // The new window has painted (two animation frames), so there is a surface to capture: under
        // load a capture right after the load could find none ("Unable to capture screenshot").
        _ = try await evaluate(page, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))")
        let shot = try await page.send(Page.CaptureScreenshot(format: .png))
        let png = try #require(Data(base64Encoded: shot.data))
        #expect(png.count > 4_000_000, "random noise does not compress: \(png.count) bytes")
        // Whole: the PNG signature, a 1920x1080 header, and the IEND chunk as the very last bytes.
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(Array(png[16..<24]) == [0, 0, 0x07, 0x80, 0, 0, 0x04, 0x38])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }

    @Test func eightTasksTimes250ConcurrentCommandsAllAnsweredCorrectly() async throws {
        let (browser, page) = try await TestBrowser.page()
        defer { Task { try? await browser.closePage(page) } }
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var correct = 0
                    for i in 0..<250 {
                        let value = try await evaluate(page, "\(task) * 1000 + \(i)")
                        if value?.intValue == task * 1000 + i { correct += 1 }
                    }
                    return correct
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 2000)
    }

    @Test func attachesToARunningBrowserByHTTPAndByWebSocketURL() async throws {
        let browser = try await launchWithPort()
        defer { Task { try? await browser.close() } }
        let wsURL = try #require(browser.webSocketDebuggerURL)
        let port = try #require(wsURL.split(separator: "/")[1].split(separator: ":").last.map { String($0) })
        for endpoint in ["http://127.0.0.1:\(port)", wsURL] {
            let attached = try await CDPBrowser.attach(to: endpoint)
            let page = try await attached.newPage()
            #expect(try await evaluate(page, "40 + 2") == 42)
            try await attached.closePage(page)
            try await attached.close()   // disconnects; the browser keeps running
        }
        #expect(try await evaluate(try await browser.newPage(), "1") == 1)
        let bad = await cdpError { _ = try await CDPBrowser.attach(to: "ftp://127.0.0.1:1") }
        #expect(bad?.code == .invalidEndpoint)
        let nobody = await cdpError { _ = try await CDPBrowser.attach(to: "http://127.0.0.1:1") }
        #expect(nobody?.code == .connectionClosed)
    }
}

}

func processCommandLine(_ pid: Int32) -> String {
    FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
}
