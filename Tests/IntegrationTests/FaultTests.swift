import CDPTransport
import DemoSite
import EventBuffer
import Foundation
@testable import SharedSession
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A session of its own (no profile), closed by `body`'s end whatever happens.
func withOwnSession<T>(_ id: String, configure: (inout SharedBrowserSession.Options) -> Void = { _ in },
                       _ body: (SharedBrowserSession) async throws -> T) async throws -> T {
    var options = SharedBrowserSession.Options(id: id)
    options.persistentProfile = false
    configure(&options)
    let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.start(options))
    if let pid = session.browserProcessID { registerForKillAtExit(pid) }
    do {
        let value = try await body(session)
        await session.close()
        return value
    } catch {
        await session.close()
        throw error
    }
}

extension Chromium {
@Suite(.serialized) struct FaultTests {
    /// A console flood: every message is either published or counted in an `eventsMissed` marker.
    @Test func aConsoleFloodLosesNothingUncounted() async throws {
        try await withOwnSession("flood") { session in
            let total = 30_000
            let watched = session.events.subscribe(kinds: [.console, .eventsMissed], bufferSize: total * 2)
            let result = await session.evaluate("for (let i = 0; i < \(total); i++) console.log('m' + i); 1", as: system)
            #expect(result.error == nil)
            watched.cancel()
            var published = 0
            var missed = 0
            for await element in watched {
                switch element {
                case .event(let event):
                    if case .console(let info) = event.payload, info.text.hasPrefix("m") { published += 1 }
                    if case .missed(let info) = event.payload { missed += info.count }
                case .missed(let count):
                    missed += count
                }
            }
            #expect(published + missed == total, "published \(published), counted as missed \(missed)")
        }
    }

    /// A launched browser killed with SIGKILL: pending work fails in < 1 s, the next action through the
    /// same session succeeds on a relaunched browser with the tabs at their URLs and every cookie, the
    /// events say crashed then restarted, each agent is told once, and no DevTools URL shows anywhere.
    @Test func aKilledBrowserIsRelaunchedWithItsTabsAndCookies() async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("relaunch") { session in
            let agent = Participant.agent("survivor")
            var options = SharedBrowserSession.ActionOptions()
            options.waitForControl = .seconds(5)
            try await session.navigate(to: site.url("/widgets"), as: agent, options: options).get()
            try await session.evaluate("document.cookie = 'kept=yes; max-age=3600'; document.cookie = 'visit=1'", as: agent).get()
            try await session.openTab(url: site.url("/console"), as: agent).get()
            let urls = await session.tabs().map(\.url)
            // The session has read the cookies (it does every 500 ms).
            #expect(await eventuallyAsync(within: .seconds(5)) {
                await session.savedCookies.contains { $0.name == "visit" }
            })
            let recovery = session.events.subscribe(kinds: [.browserCrashed, .browserRestarted, .actionFailed])
            let oldPID = try #require(session.browserProcessID)
            let started = session.events.subscribe(kinds: [.actionStarted])
            let pending = Task { await session.evaluate("new Promise(() => {})", as: agent) }
            #expect(await firstEvent(started, .actionStarted) != nil)
            let clock = ContinuousClock()
            let killedAt = clock.now
            kill(oldPID, SIGKILL)
            let failed = await pending.value
            #expect(killedAt.duration(to: clock.now) < .seconds(1))
            #expect(failed.error?.code == .browserCrashed, "\(String(describing: failed.error))")

            let next = await session.evaluate("document.cookie", as: agent)
            #expect(killedAt.duration(to: clock.now) < .seconds(3), "recovered after \(killedAt.duration(to: clock.now))")
            #expect(next.error == nil, "\(String(describing: next.error))")
            #expect(await session.lifecycleState == .running)
            #expect(session.browserProcessID != oldPID)
            #expect(await session.tabs().map(\.url) == urls)
            // The active tab is the second one (/console); the cookies are the site's, in every tab.
            let cookie = next.value?.stringValue ?? ""
            #expect(cookie.contains("kept=yes") && cookie.contains("visit=1"), "\(cookie)")
            #expect(next.notices.count == 1 && next.notices[0].contains("restarted"), "\(next.notices)")
            #expect(next.report.contains("restarted"))
            #expect(try await session.evaluate("1", as: agent).get().notices.isEmpty, "told once")

            let seen = await within(.seconds(5)) { () -> [BrowserEvent] in
                var events: [BrowserEvent] = []
                for await element in recovery {
                    if let event = element.event { events.append(event) }
                    if events.count == 3 { break }
                }
                return events
            } ?? []
            let kinds = seen.map(\.kind)
            var downtime: Int?
            for event in seen {
                if case .recovery(let info) = event.payload, event.kind == .browserRestarted { downtime = info.downtimeMilliseconds }
                #expect(!event.summary.contains("/devtools/"))
            }
            #expect(kinds == [.actionFailed, .browserCrashed, .browserRestarted] || kinds == [.browserCrashed, .actionFailed, .browserRestarted],
                    "\(kinds)")
            #expect((downtime ?? 0) > 0)
            let context = await session.agentContext(budget: 2000, for: agent)
            #expect(context.text.contains("restarted"))
            #expect(!(await session.agentContext(budget: 2000, for: agent)).text.contains("restarted"), "told once")
            for text in [failed.error?.message ?? "", context.text] { #expect(!text.contains("/devtools/")) }
        }
    }

    /// An attached browser whose connection drops is reconnected, not relaunched: the tabs are attached
    /// again with one handler each; a connection that stalls is noticed by the keep-alive within 2 s.
    @Test func aDroppedOrStalledConnectionIsReconnected() async throws {
        let (browser, proxy, endpoint) = try await browserBehindProxy()
        defer { Task { try? await browser.close() } }
        defer { proxy.stop() }
        let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.attach(to: endpoint, options: .init(id: "reconnect")))
        defer { Task { await session.close() } }
        try await session.navigate(to: dataURL("<title>kept</title><p>here</p>"), as: system).get()
        let watched = session.events.subscribe(kinds: [.disconnected, .reconnected, .browserCrashed, .browserRestarted])

        proxy.dropAll()
        // One wait, on one iterator: the two events may arrive in one batch, which a second
        // iterator would not see.
        let back = await firstEvent(watched, .reconnected)
        #expect(session.events.recent(100).contains { $0.kind == .disconnected && $0.sequence < (back?.sequence ?? 0) })
        if case .recovery(let info)? = back?.payload { #expect(info.downtimeMilliseconds != nil) } else { Issue.record("no reconnected event") }
        let logged = await session.evaluate("console.log('once after reconnect'); document.title", as: system)
        #expect(logged.value == "kept", "\(String(describing: logged.error))")
        #expect(logged.events.filter { $0.summary.contains("once after reconnect") }.count == 1, "one handler per tab")
        #expect(logged.notices.first?.contains("came back") == true)
        #expect(await session.lifecycleState == .running)

        let clock = ContinuousClock()
        let stalledAt = clock.now
        proxy.stallAll()
        let stalled = await firstEvent(watched, .disconnected)
        #expect(stalled != nil)
        #expect(stalledAt.duration(to: clock.now) < .seconds(2), "a stall noticed after \(stalledAt.duration(to: clock.now))")
        #expect(await firstEvent(watched, .reconnected) { $0.sequence > (stalled?.sequence ?? .max) } != nil)
        #expect(try await session.evaluate("document.title", as: system).get().value == "kept")
        let crashes = session.events.recent(200).filter { $0.kind == .browserCrashed || $0.kind == .browserRestarted }
        #expect(crashes.isEmpty, "never a crash while the browser lives")
    }

    /// A remote browser out of reach for longer than the reconnect tries: the session says it gave up,
    /// actions fail fast meanwhile, and once the browser can be reached the next action brings the
    /// connection back and runs.
    @Test func aSessionThatGaveUpReconnectsOnTheNextAction() async throws {
        let (browser, proxy, endpoint) = try await browserBehindProxy()
        defer { Task { try? await browser.close() } }
        defer { proxy.stop() }
        let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.attach(to: endpoint, options: .init(id: "gave-up")))
        defer { Task { await session.close() } }
        try await session.navigate(to: dataURL("<title>still here</title>"), as: system).get()
        let errors = session.events.subscribe(kinds: [.error])

        proxy.refusesNewConnections = true
        proxy.dropAll()
        let gaveUp = await firstEvent(errors, .error) { $0.summary.contains("did not come back") }
        #expect(gaveUp != nil)
        #expect(await session.lifecycleState == .disconnected)
        let clock = ContinuousClock()
        let asked = clock.now
        let meanwhile = await session.evaluate("document.title", as: system)
        #expect(meanwhile.error != nil, "unreachable: the action fails")
        #expect(asked.duration(to: clock.now) < .seconds(5), "and fails after one round of tries, not a hang")

        proxy.refusesNewConnections = false
        let back = await session.evaluate("document.title", as: system)
        #expect(back.value == "still here", "\(String(describing: back.error))")
        #expect(back.notices.contains { $0.contains("came back") }, "\(back.notices)")
        #expect(await session.lifecycleState == .running)
    }

    /// The browser behind an `http://` endpoint is restarted under a new id (as a grid or a browser
    /// service restarts one): the session finds the new browser at the endpoint and reopens its tabs
    /// there at their URLs, the active one as before — after a crash, and after an orderly shutdown,
    /// which closes the tabs before the connection goes.
    @Test(.serialized, arguments: [false, true])
    func aBrowserRestartedBehindItsEndpointGetsTheTabsBack(orderly: Bool) async throws {
        let (first, proxy, _) = try await browserBehindProxy()
        defer { proxy.stop() }
        let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.attach(to: "http://127.0.0.1:\(proxy.port)", options: .init(id: "restarted")))
        defer { Task { await session.close() } }
        try await session.navigate(to: dataURL("<title>one</title>"), as: system).get()
        let firstTab = await session.activeTab.id
        try await session.openTab(url: dataURL("<title>two</title>"), as: system).get()
        try await session.switchTab(to: firstTab, as: system).get()

        // The first browser goes (killed, or closed in order); another takes its place. The session
        // hears of it first: an action sent before then would go down the dead connection.
        let dropped = session.events.subscribe(kinds: [.disconnected])
        if orderly {
            try await first.close()
        } else {
            kill(try #require(first.processID), SIGKILL)
            #expect(await first.exits(within: .seconds(5)))
        }
        defer { Task { await first.abandon() } }
        #expect(await firstEvent(dropped, .disconnected) != nil)
        let second = try await launchWithPort()
        if let pid = second.processID { registerForKillAtExit(pid) }
        defer { Task { try? await second.close() } }
        proxy.retarget(to: try devToolsPort(of: second))

        let back = await session.evaluate("document.title", as: system)
        #expect(back.value == "one", "the active tab is the first again: \(String(describing: back.error))")
        #expect(back.notices.contains { $0.contains("restarted") }, "\(back.notices)")
        #expect(await session.tabs().map(\.url) == [dataURL("<title>one</title>"), dataURL("<title>two</title>")])
        // The URL, not the title: a title arrives with its own event, a moment after the page.
        #expect(await session.activeTab.url == dataURL("<title>one</title>"))
        let restarted = session.events.recent(200).last { $0.kind == .browserRestarted }
        if case .recovery(let info)? = restarted?.payload { #expect(info.restoredTabs == 2) } else { Issue.record("no browserRestarted event") }
    }

    /// Every tab closed from outside the session (by the browser, a person, another client): an
    /// action that needs a page fails at once with `noSuchTab`, and `openTab` gives the session a tab
    /// again.
    @Test func withEveryTabClosedActionsFailAtOnceAndOpenTabHelps() async throws {
        try await withOwnSession("no-tabs") { session in
            try await session.navigate(to: dataURL("<title>only</title>"), as: system).get()
            let closed = session.events.subscribe(kinds: [.targetClosed])
            _ = try await session.browser.session.send(Target.CloseTarget(targetId: await session.activeTab.id))
            #expect(await firstEvent(closed, .targetClosed) != nil)
            #expect(await sessionBecomes(session) { await session.tabs().isEmpty })
            let clock = ContinuousClock()
            let asked = clock.now
            let failed = await session.evaluate("1", as: system)
            #expect(failed.error?.code == .noSuchTab, "\(String(describing: failed.error))")
            #expect(asked.duration(to: clock.now) < .seconds(2), "at once, not a wait")
            try await session.openTab(url: dataURL("<title>again</title>"), as: system).get()
            #expect(try await session.evaluate("document.title", as: system).get().value == "again")
        }
    }

    /// A browser launched over a pipe has no port to come back through: its pipe closing ends it
    /// (Chromium quits), and the session relaunches it with its tab and viewport.
    @Test func aLaunchedBrowserWhosePipeClosesIsRelaunched() async throws {
        try await withOwnSession("launched-pipe") { session in
            try await session.navigate(to: dataURL("<title>still here</title>"), as: system).get()
            try await session.setViewport(width: 900, height: 600, as: system).get()
            let pid = try #require(session.browserProcessID)
            #expect(session.remoteDebuggingURL == nil)
            let watched = session.events.subscribe(kinds: [.browserCrashed, .browserRestarted])
            await session.browser.connection.close()
            #expect(await firstEvent(watched, .browserRestarted) != nil)
            #expect(session.browserProcessID != pid)
            #expect(try await session.evaluate("document.title", as: system).get().value == "still here")
            #expect(try await session.evaluate("innerWidth + 'x' + innerHeight", as: system).get().value == "900x600")
        }
    }

    /// A browser launched with a DevTools port whose connection drops while it lives is reconnected,
    /// not relaunched: the same process, the same tab, and a later crash is still seen as a crash.
    @Test func aLaunchedBrowserWhoseConnectionDropsIsReconnected() async throws {
        try await withOwnSession("launched-drop", configure: { $0.launch.transport = .webSocket }) { session in
            try await session.navigate(to: dataURL("<title>still here</title>"), as: system).get()
            try await session.setViewport(width: 900, height: 600, as: system).get()
            let pid = try #require(session.browserProcessID)
            let watched = session.events.subscribe(kinds: [.disconnected, .reconnected, .browserCrashed, .browserRestarted])
            // Drop the socket from our side, the browser untouched.
            let connection = session.browser.connection
            connection.fail(with: CDPError(.connectionClosed, "dropped by the test"))
            await connection.close()
            #expect(await firstEvent(watched, .reconnected) != nil)
            #expect(session.browserProcessID == pid, "the same browser, not a relaunch")
            #expect(try await session.evaluate("document.title", as: system).get().value == "still here")
            #expect(try await session.evaluate("innerWidth + 'x' + innerHeight", as: system).get().value == "900x600",
                    "the tab's own viewport is set again")
            #expect(session.events.recent(100).allSatisfy { $0.kind != .browserCrashed && $0.kind != .browserRestarted })
            // The new connection owns the process: its death is a crash, and is recovered.
            kill(pid, SIGKILL)
            #expect(await firstEvent(watched, .browserCrashed) != nil)
            #expect(await firstEvent(watched, .browserRestarted) != nil)
            #expect(try await session.evaluate("document.title", as: system).get().value == "still here")
            #expect(try await session.evaluate("innerWidth + 'x' + innerHeight", as: system).get().value == "900x600")
        }
    }

    /// A session without a profile downloads into a private folder of its own, removed when it closes.
    @Test func aTemporarySessionsDownloadsFolderIsPrivateAndRemoved() async throws {
        let folder = try await withOwnSession("downloads") { session in
            let folder = session.downloadsDirectory
            let attributes = try FileManager.default.attributesOfItem(atPath: folder)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            #expect(folder.hasPrefix(NSTemporaryDirectory()))
            return folder
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
}

/// A `session-host` process (built with the tests): a session in another process, to kill.
final class SessionHost {
    let process = Process()
    let browserPID: Int32
    let downloads: String
    /// The live view's watch link (with `SESSION_HOST_LIVE_VIEW=1`).
    private(set) var liveViewURL: String?

    init(profile: String?, url: String? = nil, watchdog: Bool = true, environment extra: [String: String] = [:]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("session-host")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SessionError(.launchFailed, "no session-host next to the tests (\(binary.path)): build with `swift build --build-tests`")
        }
        process.executableURL = binary
        process.arguments = [profile ?? "-"] + (url.map { [$0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        if !watchdog { environment["SESSION_HOST_NO_WATCHDOG"] = "1" }
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The `ready` line, once the session runs (after the live view's `live` line, if any).
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte == Data("\n".utf8) {
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("live ") else { break }
                liveViewURL = String(text.dropFirst("live ".count))
                line = Data()
                continue
            }
            line += byte
        }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 3, words[0] == "ready", let pid = Int32(words[1]) else {
            process.terminate()
            throw SessionError(.launchFailed, "session-host did not start: \(String(decoding: line, as: UTF8.self))")
        }
        browserPID = pid
        downloads = String(words[2])
        registerForKillAtExit(pid)
    }

    /// Whether any process of the browser's process group is left (zombies aside).
    var browserGroupRemains: Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { entry in
            guard let pid = Int32(entry), getpgid(pid) == browserPID,
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(close, offsetBy: 2)] != "Z"
        }
    }
}

extension Chromium {
@Suite(.serialized) struct HostDeathTests {
    /// Whatever ends the host (SIGKILL included), no process of its browser is left within 3 s, and a
    /// temporary profile goes with it; SIGINT and SIGTERM close the session in an orderly way in < 10 s.
    @Test(arguments: [SIGKILL, SIGTERM, SIGINT])
    func noBrowserOutlivesItsHost(signal: Int32) async throws {
        let host = try SessionHost(profile: nil)
        #expect(host.browserGroupRemains)
        #expect(FileManager.default.fileExists(atPath: host.downloads))
        kill(host.process.processIdentifier, signal)
        let exited = await eventually(within: .seconds(10)) { !host.process.isRunning }
        let alive = kill(host.process.processIdentifier, 0) == 0
        #expect(exited, "the host did not exit (\(alive ? "it still runs" : "it is gone, but Process still says it runs"))")
        // (A status read from a process still running traps: read only once it exited.)
        if signal != SIGKILL, exited { #expect(host.process.terminationStatus == 128 + signal) }
        if !exited { host.process.terminate() }
        #expect(await eventually(within: .seconds(3)) { !host.browserGroupRemains }, "Chromium outlived its host")
        #expect(await eventually(within: .seconds(3)) { !FileManager.default.fileExists(atPath: host.downloads) })
    }

    /// A profile whose host died while its browser kept running (no watchdog) is reclaimed by the
    /// next start: the old browser is ended, the new session starts.
    @Test func aProfileLeftByADeadHostIsReclaimed() async throws {
        let profile = NSTemporaryDirectory() + "shared-browser-reclaim-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let host = try SessionHost(profile: profile, watchdog: false)
        kill(host.process.processIdentifier, SIGKILL)
        #expect(await eventually(within: .seconds(10)) { !host.process.isRunning })
        #expect(host.browserGroupRemains, "without its watchdog the browser outlives the host")
        var options = SharedBrowserSession.Options(id: "reclaim")
        options.profileDirectory = profile
        let session = try await SharedBrowserSession.start(options)
        if let pid = session.browserProcessID { registerForKillAtExit(pid) }
        #expect(!host.browserGroupRemains)
        #expect(try await session.evaluate("1 + 1", as: system).get().value == 2)
        await session.close()
    }
}
}

