import Foundation
@testable import SharedSession
import Testing

/// Session ids name folders: only ids of the documented pattern start a session, and whatever the id,
/// its default profile folder stays inside the sessions folder.
@Suite struct SessionIDTests {
    static let refused = ["", ".", "..", "../x", "a/b", "/etc", ".hidden", "-x", "_x", "a b", "é", "a\u{0}b",
                          String(repeating: "a", count: 65)]

    @Test func theDocumentedPatternPasses() throws {
        for id in ["default", "integration-tests", "a.b_c-1", "A", "9", String(repeating: "z", count: 64)] {
            try SharedBrowserSession.validate(sessionID: id)
        }
    }

    @Test func anythingElseIsATypedErrorNamingThePattern() {
        for id in Self.refused {
            #expect(throws: SessionError.self, "\(id)") { try SharedBrowserSession.validate(sessionID: id) }
            do {
                try SharedBrowserSession.validate(sessionID: id)
            } catch {
                #expect(error.code == .invalidSessionID && error.message.contains("starting with a letter or digit"))
            }
        }
    }

    /// `start` refuses before it creates a folder or launches anything.
    @Test func startRefusesABadIdBeforeTouchingTheDisk() async throws {
        for id in ["..", ".", "", "a/b"] {
            await #expect {
                _ = try await SharedBrowserSession.start(.init(id: id))
            } throws: { error in
                (error as? SessionError)?.code == .invalidSessionID
            }
            let folder = SharedBrowserSession.defaultProfileDirectory(for: id)
            #expect(!FileManager.default.fileExists(atPath: folder), "\(id): nothing was created at \(folder)")
        }
    }

    @Test func theDefaultProfileFolderStaysInsideTheSessionsFolder() {
        let sessions = (SharedBrowserSession.defaultProfileDirectory(for: "x") as NSString).deletingLastPathComponent
        for id in Self.refused + ["default"] {
            let folder = SharedBrowserSession.defaultProfileDirectory(for: id)
            let standard = (folder as NSString).standardizingPath
            #expect((standard as NSString).deletingLastPathComponent == sessions, "\(id) → \(folder)")
            #expect(!["", ".", ".."].contains((standard as NSString).lastPathComponent), "\(id) → \(folder)")
        }
    }
}
