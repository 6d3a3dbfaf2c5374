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
        abstract: "Serves shared browser sessions over MCP (stdio, or Streamable HTTP with --http): agents in other processes act in turns, people watch and help.",
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

    @Option(name: .customLong("require-approval"),
            help: ArgumentHelp("An action agents may take only after a person approves it in the live view (repeatable): submit, navigate:HOST or click:PATTERN.",
                               discussion: "submit: any form submission; navigate:HOST: going to HOST or below it (navigate:* any navigation); click:PATTERN: a click on an element whose accessible name matches PATTERN (* for any text)."))
    var requireApproval: [String] = []

    @Flag(name: .customLong("navigate-screenshots"),
          help: "Attach a JPEG of the page to every shared_session_navigate answer (off by default: a picture costs a model about 1,200 tokens; shared_session_screenshot gives one when asked).")
    var navigateScreenshots = false

    @Option(name: .customLong("live-view-hook"),
            help: "A program run once for each session that starts, to take the live view's links to people (a chat message, a notification): the session id as its argument; SHARED_BROWSER_LIVE_VIEW_URL, SHARED_BROWSER_WATCH_URL and SHARED_BROWSER_SESSION in its environment. Its output goes to the log; it gets 10 s.")
    var liveViewHook: String?

    @Flag(name: .customLong("no-recording"), help: "Do not record timelines (recorded by default).")
    var noRecording = false

    @Option(name: .customLong("max-sessions"), help: "The most sessions at once.")
    var maxSessions = 4

    @Option(name: .customLong("http"),
            help: "Serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio ([HOST:]PORT; HOST 127.0.0.1 unless given).")
    var http: String?

    @Option(name: .customLong("token"), help: "With --http: the bearer token clients must send (a random one is made and printed otherwise).")
    var token: String?

    @Option(name: .customLong("max-connections"), help: "With --http: the most connections at once; more are closed at once.")
    var maxConnections = 256

    @Option(name: .customLong("max-clients"), help: "With --http: the most MCP clients at once; one more initialize gets 503.")
    var maxClients = 64

    @Option(name: .customLong("client-idle-timeout"),
            help: "With --http: seconds an MCP client may send nothing (no event stream open, nothing unanswered) before its session ends.")
    var clientIdleTimeout = 300

    @Option(name: .customLong("request-timeout"),
            help: "With --http: seconds a connection may take to send a whole request, and may stay idle between requests.")
    var requestTimeout = 10

    @Option(name: .customLong("allowed-host"),
            help: "With --http: a Host clients may use besides the listening address and loopback (NAME or NAME:PORT; repeatable), such as the name a reverse proxy passes.")
    var allowedHosts: [String] = []

    @Option(name: .customLong("cdp-endpoint"),
            help: "Attach sessions to this browser (http(s):// or ws(s):// CDP URL, e.g. a grid's) instead of launching one.")
    var cdpEndpoint: String?

    @Option(name: .customLong("cdp-header"),
            help: ArgumentHelp("A header for --cdp-endpoint (\"Name: value\"; repeatable), sent to its host only.",
                               discussion: "Or in SHARED_BROWSER_CDP_HEADERS (one per line), out of sight of ps."))
    var cdpHeaders: [String] = []

    @Option(name: .customLong("cdp-ca-file"), help: "A PEM file of CAs to trust for wss:// and https:// endpoints, besides the system's.")
    var cdpCAFile: String?

    /// Raises the soft limit of open files to the hard one (at most 65,536): a server of many clients,
    /// viewers and browsers needs more than the usual 1,024, and a flood then exhausts it later.
    static func raiseOpenFileLimit() {
        var files = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0 else { return }
        let wanted = min(files.rlim_max, 65_536)
        guard files.rlim_cur < wanted else { return }
        files.rlim_cur = wanted
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
    }

    @Option(name: .customLong("storage-state"),
            help: "A saved sign-in (StorageState or Playwright storageState JSON, mode 0600) put into every new session.")
    var storageState: String?

    mutating func run() async throws {
        guard maxSessions > 0 else { throw ValidationError("--max-sessions must be at least 1") }
        Self.raiseOpenFileLimit()
        ServerLog.bootstrap()
        let fromEnvironment = ProcessInfo.processInfo.environment["SHARED_BROWSER_CDP_HEADERS"]?
            .split(whereSeparator: \.isNewline).map(String.init) ?? []
        var headers: [(name: String, value: String)] = []
        for line in cdpHeaders + fromEnvironment where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ValidationError("a CDP header is \"Name: value\", not \(line.prefix(20))…")
            }
            headers.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                            String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        if !headers.isEmpty, cdpEndpoint == nil { throw ValidationError("--cdp-header needs --cdp-endpoint") }
        if let cdpCAFile, !FileManager.default.isReadableFile(atPath: cdpCAFile) {
            throw ValidationError("cannot read --cdp-ca-file \(cdpCAFile)")
        }
        var state: StorageState?
        if let storageState {
            do { state = try StorageStateLogin.readPrivate(storageState) } catch {
                throw ValidationError("--storage-state: \((error as? SessionError)?.message ?? "\(error)")")
            }
        }
        if let liveViewHook, !FileManager.default.isExecutableFile(atPath: liveViewHook) {
            throw ValidationError("--live-view-hook \(liveViewHook) is not an executable file")
        }
        let approvals = try requireApproval.map { rule in
            do { return try ApprovalRule(parsing: rule) } catch { throw ValidationError("--require-approval: \((error as? SessionError)?.message ?? "\(error)")") }
        }
        let registry = SessionRegistry(settings: .init(headless: !headed, record: !noRecording, allowJavaScript: allowJavaScript,
                                                       profile: allTools ? .full : .core, maxSessions: maxSessions,
                                                       browserEndpoint: cdpEndpoint, endpointHeaders: headers,
                                                       trustedCertificatesFile: cdpCAFile, storageState: state, approvals: approvals,
                                                       navigateScreenshots: navigateScreenshots, liveViewHook: liveViewHook))
        if let http {
            let parts = http.split(separator: ":", omittingEmptySubsequences: false)
            let host = parts.count > 1 ? parts.dropLast().joined(separator: ":") : "127.0.0.1"
            guard let port = Int(parts.last ?? ""), (0...65535).contains(port), !host.isEmpty else {
                throw ValidationError("--http takes [HOST:]PORT, not \(http)")
            }
            if let token, token.count < 16 { throw ValidationError("--token must have at least 16 characters") }
            let secret = token ?? (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            guard maxConnections > 0, requestTimeout > 0, maxClients > 0, clientIdleTimeout > 0 else {
                throw ValidationError("--max-connections, --max-clients, --request-timeout and --client-idle-timeout must be at least 1")
            }
            let endpoint = HTTPEndpoint(host: host, port: port, token: secret, registry: registry,
                                        allowedHosts: allowedHosts.map { $0.lowercased() },
                                        limits: .init(maxConnections: maxConnections, requestTimeout: .seconds(requestTimeout),
                                                      maxClients: maxClients, clientIdleTimeout: .seconds(clientIdleTimeout)))
            let bound = try await endpoint.start()
            // Said at once, also when stdout is not a terminal.
            var said = "listening on http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/mcp\n"
            if token == nil { said += "token \(secret)\n" }
            FileHandle.standardOutput.write(Data(said.utf8))
            // Until SIGINT or SIGTERM, which close every session (and exit).
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let client = ClientName(suffix: nil)
        let server = await MCPServerFactory.make(registry: registry, client: client)
        try await server.start(transport: LineTransport()) { info, _ in client.set(info.name) }
        // Until the client goes (stdin closes); then every browser goes with it.
        await server.waitUntilCompleted()
        await registry.closeAll()
    }
}

/// A server with the catalog's tools, for one client.
enum MCPServerFactory {
    static func make(registry: SessionRegistry, client: ClientName) async -> Server {
        let server = Server(name: "shared-browser-mcp", version: "0.1.0",
                            capabilities: .init(logging: .init(), tools: .init(listChanged: false)))
        let catalog = MCPCatalog(registry: registry, client: client, watcher: ContextWatcher(server: server))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: await catalog.tools()) }
        await server.withMethodHandler(CallTool.self) { params in await catalog.call(params.name, params.arguments ?? [:]) }
        return server
    }
}

/// Tells a client of each change of a session's browser context it works with (a navigation, a load,
/// a title, an error — also those it did not cause), as MCP logging messages from the logger
/// `browser_context` whose data is the live view's `browser_context` (``BrowserContextMessage``).
final class ContextWatcher: @unchecked Sendable {
    // `@unchecked`: `watched` is only touched under `lock`.
    private let lock = NSLock()
    private var watched: [String: Task<Void, Never>] = [:]
    private weak var server: Server?

    init(server: Server) { self.server = server }

    /// The context as the SDK's JSON value (dates as ISO 8601, as the live view sends them).
    static func value(_ context: BrowserContextMessage) -> Value? {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(context)).flatMap { try? JSONDecoder().decode(Value.self, from: $0) }
    }

    deinit { lock.withLock { watched.values.forEach { $0.cancel() } } }

    /// Sends the client the browser's context as it changes (logger `browser_context`) and what
    /// people write to the agents (logger `messages`: `{"from":"human:alice","text":"…","sequence":n}`).
    func watch(_ session: SharedBrowserSession) {
        let updates = session.stateUpdates()
        let messages = session.events.subscribe(kinds: [.message], bufferSize: 256)
        lock.lock()
        defer { lock.unlock() }
        guard watched[session.id] == nil else {
            messages.cancel()
            return
        }
        let context = Task { [weak self] in
            for await state in updates {
                guard let server = self?.server else { return }
                guard let data = Self.value(BrowserContextMessage(state)) else { continue }
                do { try await server.log(level: .info, logger: "browser_context", data: data) } catch { return }
            }
        }
        watched[session.id] = Task { [weak self] in
            for await element in messages {
                guard let event = element.event, event.cause.kind == .human, case .message(let text) = event.payload else { continue }
                guard let server = self?.server else { break }
                let data: Value = ["from": .string(event.cause.description), "text": .string(text), "sequence": .int(Int(event.sequence)),
                                   "session_id": .string(session.id)]
                do { try await server.log(level: .notice, logger: "messages", data: data) } catch { break }
            }
            context.cancel()
        }
    }
}

/// The client's name, from its `initialize` request: it acts as `agent:<name>` (with its connection's
/// id over HTTP, where several clients may share a name).
final class ClientName: @unchecked Sendable {
    // `@unchecked`: `name` is only touched under `lock`.
    private let lock = NSLock()
    private var name = "mcp-client"
    private let suffix: String?
    init(suffix: String?) { self.suffix = suffix }
    func set(_ value: String) {
        let cleaned = value.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        lock.lock()
        name = cleaned.isEmpty ? "mcp-client" : cleaned
        lock.unlock()
    }
    var participant: Participant {
        lock.lock()
        defer { lock.unlock() }
        return .agent(suffix.map { "\(name)-\($0)" } ?? name)
    }
}
