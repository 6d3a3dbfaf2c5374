// shared-browser-mcp: one shared browser session (or several) served over MCP (stdio), so agents in
// other processes use it in turns, with people watching through the live view.
import AgentTools
import ArgumentParser
import CDPTransport
import Coordination
import EventBuffer
import Foundation
import LiveView
import MCP
import SharedSession
import Timeline

@main
struct SharedBrowserMCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shared-browser-mcp",
        abstract: "Serves shared browser sessions over MCP (stdio): agents in other processes act in turns, people watch and help.",
        discussion: """
            Tools: start_shared_session, close_shared_session, list_shared_sessions, and shared_session_<tool> for each \
            agent tool (navigate, snapshot, click, fill, …). Each client acts as agent:<its name>.
            """)

    @Flag(name: .customLong("headed"), help: "Show the browser window (headless by default).")
    var headed = false

    @Flag(name: .customLong("allow-javascript"), help: "Offer shared_session_evaluate (off by default).")
    var allowJavaScript = false

    @Flag(name: .customLong("all-tools"), help: "Offer every tool, not only the core profile.")
    var allTools = false

    @Flag(name: .customLong("no-recording"), help: "Do not record timelines (recorded by default).")
    var noRecording = false

    @Option(name: .customLong("max-sessions"), help: "The most sessions at once.")
    var maxSessions = 4

    mutating func run() async throws {
        guard maxSessions > 0 else { throw ValidationError("--max-sessions must be at least 1") }
        let registry = SessionRegistry(settings: .init(headless: !headed, record: !noRecording, allowJavaScript: allowJavaScript,
                                                       profile: allTools ? .full : .core, maxSessions: maxSessions))
        let server = Server(name: "shared-browser-mcp", version: "0.1.0",
                            capabilities: .init(logging: .init(), tools: .init(listChanged: false)))
        let client = ClientName()
        let catalog = MCPCatalog(registry: registry, client: client)
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: await catalog.tools()) }
        await server.withMethodHandler(CallTool.self) { params in await catalog.call(params.name, params.arguments ?? [:]) }
        try await server.start(transport: StdioTransport()) { info, _ in client.set(info.name) }
        // Until the client goes (stdin closes); then every browser goes with it.
        await server.waitUntilCompleted()
        await registry.closeAll()
    }
}

/// The client's name, from its `initialize` request: it acts as `agent:<name>`.
final class ClientName: @unchecked Sendable {
    // `@unchecked`: `name` is only touched under `lock`.
    private let lock = NSLock()
    private var name = "mcp-client"
    func set(_ value: String) {
        let cleaned = value.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        lock.lock()
        name = cleaned.isEmpty ? "mcp-client" : cleaned
        lock.unlock()
    }
    var participant: Participant {
        lock.lock()
        defer { lock.unlock() }
        return .agent(name)
    }
}
