import CDPTransport
import Foundation
import SharedBrowserSupport

/// The session's isolated world in a tab's document: where snapshots walk the page and where the
/// elements their refs name are kept. One per document, made on first use; a page's own scripts
/// share its DOM but not its globals, so they can neither read the refs nor change the walk.
enum PageWorld {
    static let name = "shared-browser"

    struct CreateIsolatedWorld: CDPCommand {
        static let method = "Page.createIsolatedWorld"
        var frameId: String
        var worldName: String
        var grantUniveralAccess = false
        struct Response: Decodable, Sendable { var executionContextId: Int }
    }

    /// `Runtime.evaluate` of a script in the world, its result decoded straight into `Value`.
    struct Evaluate<Value: Decodable & Sendable>: CDPCommand {
        static var method: String { "Runtime.evaluate" }
        var expression: String
        var contextId: Int
        var returnByValue = true
        struct Response: Decodable, Sendable {
            struct Result: Decodable, Sendable { var value: Value? }
            var result: Result
            var exceptionDetails: Runtime.ExceptionDetails?
        }
    }

    /// The execution context of the world in the tab's current document.
    static func context(_ tab: Tab, deadline: Deadline) async throws -> Int {
        let (generation, frame, known) = tab.state.withLock { s in (s.generation, s.mainFrameId, s.world) }
        if let known, known.generation == generation { return known.context }
        guard let frame else { throw SessionError(.targetClosed, "the tab has no document") }
        let created = try await tab.page.send(CreateIsolatedWorld(frameId: frame, worldName: name), timeout: deadline.remaining)
        tab.state.withLock { s in
            if s.generation == generation { s.world = (generation, created.executionContextId) }
        }
        return created.executionContextId
    }

    /// Runs `body` with the world's context; when the document changed under it (the context is
    /// gone), once more in a new one.
    static func run<T: Sendable>(_ tab: Tab, deadline: Deadline,
                                 _ body: (Int) async throws -> T) async throws -> T {
        for attempt in 0..<2 {
            let world = try await context(tab, deadline: deadline)
            do {
                return try await body(world)
            } catch let error as CDPError where error.code == .protocolError && Elements.isContextGone(error.message) && attempt == 0 {
                tab.state.withLock { s in if s.world?.context == world { s.world = nil } }
            } catch let error as SessionError where error.code == .evaluationFailed && Elements.isContextGone(error.message) && attempt == 0 {
                tab.state.withLock { s in if s.world?.context == world { s.world = nil } }
            }
        }
        throw SessionError(.targetClosed, "the page's document kept changing while it was read")
    }

    /// A typed error for a script that threw in the world.
    static func failure(_ details: Runtime.ExceptionDetails, _ what: String) -> SessionError {
        SessionError(.evaluationFailed, "\(what): \(details.exception?.description ?? details.text)")
    }
}
