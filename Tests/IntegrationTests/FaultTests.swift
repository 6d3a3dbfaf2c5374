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
