import AgentTools
import Foundation
import LiveView
import SharedSession

/// The server's shared sessions, by id (the design's `shared_sessions`).
actor SessionRegistry {
    struct Entry {
        let session: SharedBrowserSession
        let toolbox: AgentToolbox
        let liveView: LiveView?
    }

    struct Settings {
        var headless = true
        var record = true
        var allowJavaScript = false
        var profile: AgentToolProfile = .core
        var maxSessions = 4
    }

    let settings: Settings
    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    init(settings: Settings) {
        self.settings = settings
    }

    var ids: [String] { order }

    /// The tools every session offers (their names, descriptions and schemas).
    func toolTemplate() -> [AgentTool] { AgentToolbox.tools(profile: settings.profile, allowJavaScript: settings.allowJavaScript) }

    /// Starts a session (or returns the running one with that id).
    func start(id: String, headless: Bool?, persistentProfile: Bool) async throws -> Entry {
        if let entry = entries[id] { return entry }
        guard entries.count < settings.maxSessions else {
            throw ToolError("this server holds at most \(settings.maxSessions) sessions (running: \(order.joined(separator: ", "))); close one first")
        }
        var options = SharedBrowserSession.Options(id: id)
        options.headless = headless ?? settings.headless
        options.persistentProfile = persistentProfile
        if settings.record { options.recording = RecordingOptions() }
        let session = try await SharedBrowserSession.start(options)
        // SIGINT and SIGTERM close it (and every other) and exit; with no session, they just end the process.
        session.closeOnTerminationSignals()
        let view = try? await session.liveView()
        let entry = Entry(session: session, toolbox: AgentToolbox(session: session, profile: settings.profile,
                                                                  allowJavaScript: settings.allowJavaScript), liveView: view)
        entries[id] = entry
        order.append(id)
        return entry
    }

    /// The session a call names, or the only one when it names none.
    func entry(_ id: String?) throws -> Entry {
        if let id {
            guard let entry = entries[id] else {
                throw ToolError("no shared session \"\(id)\"" + (order.isEmpty ? "; start one with start_shared_session" : " (running: \(order.joined(separator: ", ")))"))
            }
            return entry
        }
        guard order.count == 1, let only = entries[order[0]] else {
            throw ToolError(order.isEmpty ? "no shared session yet: start one with start_shared_session"
                                          : "several sessions run (\(order.joined(separator: ", "))): pass session_id")
        }
        return only
    }

    func close(_ id: String?) async throws -> String {
        let entry = try entry(id)
        let sessionId = entry.session.id
        entries[sessionId] = nil
        order.removeAll { $0 == sessionId }
        await entry.session.close()
        return sessionId
    }

    /// A client went: any turn it holds passes on.
    func release(_ participant: Participant) async {
        for entry in entries.values { _ = await entry.session.coordinator.releaseControl(for: participant) }
    }

    func closeAll() async {
        let all = entries.values.map(\.session)
        entries.removeAll()
        order.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for session in all { group.addTask { await session.close() } }
        }
    }
}

struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
