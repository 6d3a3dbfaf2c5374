import CDPTransport
import DemoSite
import EventBuffer
import Foundation
import SharedSession
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
    let session = try await SharedBrowserSession.start(options)
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

/// A `session-host` process (built with the tests): a session in another process, to kill.
final class SessionHost {
    let process = Process()
    let browserPID: Int32
    let downloads: String

    init(profile: String?, url: String? = nil, watchdog: Bool = true) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("session-host")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SessionError(.launchFailed, "no session-host next to the tests (\(binary.path)): build with `swift build --build-tests`")
        }
        process.executableURL = binary
        process.arguments = [profile ?? "-"] + (url.map { [$0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        if !watchdog { environment["SESSION_HOST_NO_WATCHDOG"] = "1" }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line, once the session runs.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
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

@Suite(.serialized) struct HostDeathTests {
    /// Whatever ends the host (SIGKILL included), no process of its browser is left within 3 s, and a
    /// temporary profile goes with it; SIGINT and SIGTERM close the session in an orderly way in < 10 s.
    @Test(arguments: [SIGKILL, SIGTERM, SIGINT])
    func noBrowserOutlivesItsHost(signal: Int32) async throws {
        let host = try SessionHost(profile: nil)
        #expect(host.browserGroupRemains)
        #expect(FileManager.default.fileExists(atPath: host.downloads))
        kill(host.process.processIdentifier, signal)
        #expect(await eventually(within: .seconds(10)) { !host.process.isRunning }, "the host did not exit")
        if signal != SIGKILL { #expect(host.process.terminationStatus == 128 + signal) }
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
