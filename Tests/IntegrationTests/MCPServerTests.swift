import Foundation
import CDPTransport
import DemoSite
import SharedSession
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WebSockets

/// The Python MCP SDK (PyPI `mcp`), installed by `Scripts/mcp-venv.sh` on first use.
enum PythonMCP {
    static let setUp: (python: String?, reason: String) = {
        let script = PlaywrightCLI.root.appendingPathComponent("Scripts/mcp-venv.sh").path
        guard let result = try? PlaywrightCLI.run(executable: "/bin/bash", [script], in: PlaywrightCLI.root.path) else {
            return (nil, "cannot run \(script)")
        }
        let path = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            return (nil, "the Python MCP SDK could not be installed from PyPI (\(result.output.suffix(300)))")
        }
        return (path, "")
    }()
    static var skipReason: Comment { Comment(rawValue: "skipped: " + setUp.reason) }

    /// The `shared-browser-mcp` built beside the tests.
    static func server() throws -> String {
        let server = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shared-browser-mcp").path
        try #require(FileManager.default.isExecutableFile(atPath: server), "build with `swift build --build-tests`")
        return server
    }

    /// What a scenario in `Tests/MCPClient` saw: the JSON object it printed last.
    struct Seen {
        let values: [String: Any]
        subscript(_ key: String) -> Any? { values[key] }
        /// A tool call's answer the scenario recorded as `{"error": …, "text": …}`.
        func step(_ name: String) -> (error: Bool, text: String) {
            let object = values[name] as? [String: Any]
            return (object?["error"] as? Bool ?? true, object?["text"] as? String ?? "")
        }
    }

    /// Runs `Tests/MCPClient/<name>` with the venv's Python, and requires it to succeed.
    static func scenario(_ name: String, _ arguments: [String]) throws -> Seen {
        let python = try #require(setUp.python)
        let script = PlaywrightCLI.root.appendingPathComponent("Tests/MCPClient/\(name)").path
        let run = try PlaywrightCLI.run(executable: python, [script] + arguments, in: NSTemporaryDirectory())
        try #require(run.status == 0, "\(run.output.suffix(2000))")
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") })
        return Seen(values: try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
    }
}

/// `shared-browser-mcp --http 0` with `arguments`, started and listening: the process, its `/mcp`
/// URL and its token.
func startHTTPServer(_ arguments: [String] = [], stderr: URL? = nil, fileLimit: Int? = nil) throws -> (process: Process, url: URL, token: String) {
    try startMCPServer(executable: try PythonMCP.server(), arguments, stderr: stderr, fileLimit: fileLimit)
}

/// A POST of `body` to the MCP endpoint with the token (and the client's session): status, body, response.
func postMCP(_ body: Data, to url: URL, token: String, session: String? = nil) async throws -> (Int, String, HTTPURLResponse) {
    var request = URLRequest(url: url)
    request.httpMethod = "POST"
    request.httpBody = body
    request.timeoutInterval = 30
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
    if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
    let (data, response) = try await URLSession.shared.data(for: request)
    guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
    return (http.statusCode, String(decoding: data, as: UTF8.self), http)
}

/// An `initialize` request of a client named `name`.
func initializeRequest(_ name: String) -> Data {
    Data(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"\#(name)","version":"1"}}}"#.utf8)
}

extension Chromium {
@Suite(.serialized) struct MCPServerTests {
    /// A real MCP client (the Python SDK) starts the server over stdio, lists the tools, starts a
    /// session, navigates, reads a snapshot, fills a field by its ref, clicks, reads the context and a
    /// screenshot; a call without its argument is a tool error. When the client goes, so does the browser.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func aPythonClientUsesTheServerOverStdio() async throws {
        let page = "data:text/html,<title>Form</title><label>Name <input id=name></label>"
            + "<button id=save onclick=\"document.title=document.getElementById('name').value\">Save</button>"
        let before = Set(chromiumProcesses())
        let seen = try PythonMCP.scenario("stdio_scenario.py", [try PythonMCP.server(), page])
        let tools = seen["tools"] as? [String] ?? []
        #expect(Set(tools).isSuperset(of: ["start_shared_session", "close_shared_session", "list_shared_sessions", "shared_session_navigate",
                                          "shared_session_snapshot", "shared_session_click", "shared_session_fill", "shared_session_context",
                                          "shared_session_events", "shared_session_screenshot", "shared_session_request_control",
                                          "shared_session_release_control", "shared_session_timeline"]), "\(tools)")
        #expect(!tools.contains("shared_session_evaluate"), "no JavaScript unless the server allows it")
        let started = try #require(seen["started"] as? [String: Any])
        #expect(started["session_id"] as? String == "mcp-stdio")
        // The answer is what the agent needs; a person's links come on request, never the DevTools address.
        #expect(Set(started.keys) == ["session_id", "participant"], "\(started)")
        let links = seen["links"] as? String ?? ""
        #expect(links.contains("live view: http://127.0.0.1:") && links.contains("watch only: http://127.0.0.1:"), "\(links)")
        #expect(!(seen["list"] as? String ?? "").contains("live view:"), "links only when asked")
        #expect(started["participant"] as? String == "agent:py-tester", "each client acts as itself")
        let step = seen.step
        #expect(step("navigate").error == false, "a lone client's first navigate takes control: \(step("navigate").text)")
        #expect(seen["navigate_types"] as? [String] == ["text"], "no picture unless asked")
        let contexts = seen["contexts"] as? [[String: Any]] ?? []
        #expect(contexts.contains { $0["title"] as? String == "Form" }, "context changes arrive as logging messages: \(contexts)")
        #expect(step("navigate").text.contains("Name"), "the navigate answer lists the page's elements with refs")
        #expect((seen["snapshot"] as? String)?.hasPrefix("Nothing changed since your last look") == true, "\(seen["snapshot"] ?? "")")
        #expect(step("fill").error == false && step("fill").text.hasPrefix("fill ref="), "\(step("fill").text)")
        #expect(step("click").error == false && step("click").text.contains("Ada"), "the page changed: \(step("click").text)")
        #expect((seen["context"] as? String)?.contains("you (py-tester) hold control") == true)
        #expect(seen["screenshot_types"] as? [String] == ["text", "image"])
        #expect(step("bad").error && step("bad").text == "click needs target")
        // No debugging address is handed to an agent.
        #expect(started["devtools_url"] == nil)
        // The client is gone: so is the browser it started.
        #expect(await eventually(within: .seconds(10)) { Set(chromiumProcesses()).isSubset(of: before) }, "no Chromium left")
    }

    /// The tasks benchmark's suite on the demo site (sign in, a rejected form and its fix, search,
    /// pages, edit, delete, a form in three steps), done over stdio by its scripted agent: the first
    /// call needs no setup, every task succeeds, none needs a read of the page after an action (the
    /// answers carry what the next step and the check need), and the site holds what the tasks did.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func theTaskSuiteSucceedsWithoutAReadAfterAnAction() async throws {
        let python = try #require(PythonMCP.setUp.python)
        let site = try await DemoSite.start(sampleProjects: 25)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = data.path
        let script = PlaywrightCLI.root.appendingPathComponent("Benchmarks/peers/task_agent.py").path
        let run = try PlaywrightCLI.run(executable: python, [script, "--site", site.baseURL, "--server", "shared-browser-mcp", "--",
                                                             try PythonMCP.server(), "--no-recording"],
                                        in: NSTemporaryDirectory(), environment: environment)
        await site.stop()
        let rows = run.output.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        let tasks = rows.filter { $0["bench"] as? String == "tasks" }
        #expect(tasks.map { $0["task"] as? String ?? "" }
                == ["sign_in", "create_with_error", "search", "paginate", "edit", "delete", "multi_step_form"], "\(run.output.suffix(3000))")
        for task in tasks {
            #expect(task["succeeded"] as? Bool == true, "\(task)")
            #expect(task["reads"] as? Int == 0, "no read after an action: \(task)")
            #expect(task["images"] as? Int == 0, "no picture unless asked: \(task)")
        }
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        #expect(!site.projects.contains { $0.name == "Zephyr" } && site.projects.count == 25, "created, then deleted")
        #expect(site.projects.first { $0.name == "Lyra" }.map { "\($0.visibility): \($0.description)" } == "public: Moved to the north wing")
        #expect(site.signUps.map { "\($0.team) \($0.email) \($0.plan) \($0.seats) \($0.prioritySupport)" }
                == ["Night Owls owls@example.com team 10 true"])
    }

    /// Over Streamable HTTP, clients of their own share one session in turns: the second is refused
    /// (told who holds control) until the first releases, then sees the first's page; a client that
    /// leaves while it holds control releases it. A wrong or missing token, a foreign Origin and a
    /// rebinding Host are refused before MCP. SIGTERM closes every browser in under 10 s.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func clientsShareASessionOverHTTPInTurns() async throws {
        let before = Set(chromiumProcesses())
        let (server, address, token) = try startHTTPServer(["--allowed-host", "mcp.example.test"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let url = address.absoluteString
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/mcp"), "loopback by default: \(url)")
        let page = "data:text/html,<title>Form</title><input id=name><button id=save>Save</button>"
        let seen = try PythonMCP.scenario("http_scenario.py", [url, token, page])
        let step = seen.step
        let started = try #require(seen["started"] as? [String: Any])
        let alpha = try #require(started["participant"] as? String)
        #expect(alpha.hasPrefix("agent:alpha-"), "a client is its name and its connection")
        #expect(step("alpha_navigate").error == false)
        let heard = seen["beta_contexts"] as? [[String: Any]] ?? []
        #expect(heard.contains { $0["title"] as? String == "Form" && $0["session_id"] as? String == "shared" },
                "a client hears of a navigation it did not cause: \(heard)")
        #expect(step("beta_refused").error && step("beta_refused").text.contains("notInControl") && step("beta_refused").text.contains(alpha),
                "\(step("beta_refused").text)")
        #expect(step("beta_refused").text.contains("Wait for your turn with shared_session_request_control"), "it is told how to wait, with the tool as it sees it")
        #expect(step("beta_granted").error == false, "\(step("beta_granted").text)")
        #expect((seen["beta_context"] as? String)?.contains("Title: Form") == true, "beta sees alpha's page")
        #expect(step("gamma_request").error == false, "beta left holding control, and its turn passed on: \(step("gamma_request").text)")
        // Lanes: two clients in tabs of their own never wait for each other; one acting in the
        // other's tab is told who holds it; the listing shows the lanes.
        let laneTabs = seen["lane_tabs"] as? [String] ?? []
        #expect(laneTabs.count == 2 && Set(laneTabs).count == 2, "each joining client has a tab of its own: \(laneTabs)")
        for key in ["lane_work", "lane_fills"] {
            let results = seen[key] as? [[String: Any]] ?? []
            #expect(results.count == 2 && results.allSatisfy { $0["error"] as? Bool == false }, "\(key): \(results)")
        }
        let trespass = step("lane_trespass")
        #expect(trespass.error && trespass.text.contains("agent:delta-") && trespass.text.contains(laneTabs.first ?? "?"), "\(trespass.text)")
        let lanes = seen["lane_list"] as? String ?? ""
        #expect(laneTabs.allSatisfy { lanes.contains($0) } && lanes.contains("held by agent:delta-")
                && lanes.contains("own tab of agent:epsilon-") && lanes.contains("(delta's work)"), "\(lanes)")
        let close = step("lane_close")
        #expect(close.error && close.text.contains("Not closed") && close.text.contains("agent:delta-"), "\(close.text)")
        #expect(seen["wrong_token"] as? Int == 401 && seen["no_token"] as? Int == 401)
        #expect(seen["foreign_origin"] as? Int == 403)
        #expect(seen["rebinding_host"] as? Int == 421)
        #expect(seen["declared_host"] as? Int != 421 && seen["declared_host"] as? Int != nil, "an --allowed-host name passes: \(seen["declared_host"] ?? "")")
        #expect(started["devtools_url"] == nil, "no debugging address for an agent")
        // The side-door probe: the server and its browser, with every helper process, listen on the
        // MCP port and the session's live view, and nothing else (the browser speaks over a pipe).
        let ours = processTree(of: server.processIdentifier)
        #expect(ours.count > 3, "the server's browser runs below it: \(ours)")
        let links = try #require(seen["links"] as? String)
        let liveView = try #require(links.components(separatedBy: "live view: ").dropFirst().first?
            .split(separator: " ").first.flatMap { URL(string: String($0)) }?.port, "\(links)")
        #expect(listeningPorts(of: ours) == [try #require(address.port), liveView], "listening: \(listeningPorts(of: ours))")
        // SIGTERM: every browser closes, the server exits.
        let stopped = ContinuousClock().now
        server.terminate()
        #expect(await eventually(within: .seconds(10)) { !server.isRunning })
        #expect(stopped.duration(to: ContinuousClock().now) < .seconds(10))
        #expect(await eventually(within: .seconds(5)) { Set(chromiumProcesses()).isSubset(of: before) }, "no Chromium left")
    }

    /// Sessions on browsers elsewhere: the server's own `--cdp-endpoint` with its token from the
    /// environment, and an endpoint a client names with its own headers, both through a TLS gateway
    /// that wants the token. The server's token never goes to a host the client names; closing an
    /// attached session leaves the remote browser running.
    @Test(.enabled(if: PythonMCP.setUp.python != nil && CDPGateway.python != nil, PythonMCP.skipReason))
    func sessionsAttachToBrowsersElsewhere() async throws {
        let server = try PythonMCP.server()
        let (browser, gateway) = try await RemoteEndpointTests.remoteBrowser()
        defer { gateway.stop(); Task { try? await browser.close() } }
        let seen = try PythonMCP.scenario("remote_scenario.py", [server, CDPGateway.trustedCA, "https://127.0.0.1:\(gateway.port)",
                                                                 RemoteEndpointTests.token, "data:text/html,<title>Remote page</title>"])
        let step = seen.step
        #expect(!step("own").error, "\(step("own").text)")
        #expect(!step("navigate").error && step("navigate").text.contains("Remote page"), "\(step("navigate").text)")
        #expect(!step("named").error, "\(step("named").text)")
        #expect((seen["named_context"] as? String)?.contains("== Browser ==") == true, "\(seen["named_context"] ?? "")")
        #expect(step("tokenless").error && step("tokenless").text.contains("401"), "\(step("tokenless").text)")
        #expect(!step("tokenless").text.contains(RemoteEndpointTests.token))
        #expect((seen["list"] as? String)?.contains("browser at https://127.0.0.1:\(gateway.port)") == true, "\(seen["list"] ?? "")")
        #expect(gateway.log.filter { $0.hasPrefix("refused") }.count == 1, "only the tokenless /json/version: \(gateway.log)")
        let targets = try await browser.session.send(Target.GetTargets()).targetInfos
        #expect(targets.contains { $0.title == "Remote page" }, "the remote browser and its tab live on")
    }

    /// `--storage-state FILE`: a sign-in saved elsewhere is in every session the server starts; a
    /// file others may read stops the server before it starts, saying why.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func aSavedSignInGoesIntoEverySession() async throws {
        let server = try PythonMCP.server()
        let (_, site) = try await TestSession.shared.get()
        let file = NSTemporaryDirectory() + "sb-mcp-state-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let agent = Participant.agent("exporter")
        try await withOwnSession("mcp-state-from") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            let login = FormLogin(loginURL: site.url("/login"), checkURL: site.url("/dashboard"),
                                  credentials: .closure { Credentials(username: DemoSite.username, password: DemoSite.password) },
                                  username: "#username", password: "#password", submit: "#sign-in")
            try await session.authenticate(with: login, as: agent)
            try await session.storageState().write(to: file)
        }
        let seen = try PythonMCP.scenario("navigate_scenario.py", [server, site.url("/dashboard"), "--storage-state", file])
        let navigated = seen.step("navigate")
        #expect(!navigated.error && navigated.text.contains("Dashboard"), "signed in: \(navigated.text)")
        #expect(seen["navigate_types"] as? [String] == ["text"], "no picture unless asked")
        #expect((seen["navigate_description"] as? String)?.hasSuffix("No picture: shared_session_screenshot gives one.") == true)
        // Asked for: every navigate answer has a picture of the page, and says so.
        let pictured = try PythonMCP.scenario("navigate_scenario.py", [server, site.url("/dashboard"), "--storage-state", file,
                                                                       "--navigate-screenshots"])
        #expect(pictured["navigate_types"] as? [String] == ["text", "image"])
        #expect((pictured["navigate_description"] as? String)?.hasSuffix("Also a JPEG of the page.") == true)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let refused = try PlaywrightCLI.run(executable: server, ["--storage-state", file], in: NSTemporaryDirectory())
        #expect(refused.status != 0 && refused.output.contains("chmod 600"), "\(refused.output)")
    }

    /// Limits before any JSON is parsed, and duplicate ids: a body over 4 MiB is answered 413 (not
    /// "Invalid JSON"), a body nested 500 deep 400 at once, and a request whose id is in use by an
    /// unanswered one of the same client an error at once (it used to wait, unanswered, until it
    /// timed out).
    /// An MCP client and a person at the live view: the default tools include asking a person and
    /// writing to them; the person's message arrives as a logging message from logger `messages`;
    /// with `--require-approval submit` the agent's submission waits for the person's Approve; a
    /// submission the page rejects is `isError`; an unknown tool's error names the tools as the
    /// client sees them.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func aPersonAndAnMCPClientWorkTogether() async throws {
        let page = dataURL("""
            <title>Projects</title><form id="f"><label>Name <input id="name"></label> <button>Create</button></form>
            <p id="err"></p><p id="out">none</p>
            <script>f.onsubmit = e => { e.preventDefault(); if (document.getElementById('name').value === 'Alpha') {
              document.getElementById('name').setAttribute('aria-invalid', 'true'); err.setAttribute('role', 'alert');
              err.textContent = 'A project with this name already exists.'; } else out.textContent = 'created'; };</script>
            """)
        let python = try #require(PythonMCP.setUp.python)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PlaywrightCLI.root.appendingPathComponent("Tests/MCPClient/people_scenario.py").path, try PythonMCP.server(), page]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let lines = LockedLines.reading(output)
        #expect(await eventually(within: .seconds(60)) { lines.all.contains { $0.hasPrefix("LIVE ") } }, "\(lines.all)")
        let liveLine = try #require(lines.all.first { $0.hasPrefix("LIVE ") })
        let live = try #require(URLComponents(string: String(liveLine.dropFirst(5))))
        let token = try #require(live.queryItems?.first { $0.name == "token" }?.value)
        // The person: a live view client with the control link, approving whatever is asked.
        let person = LiveViewClient()
        let port = try #require(live.port)
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: port, path: "/ws?token=\(token)"), handler: person)
        defer { connection.close(code: 1000, reason: "done") }
        let heard = LockedLines()
        let approving = Task {
            for await text in person.texts {
                heard.append(text)
                guard text.contains(#""kind":"approvalRequested""#) else { continue }
                guard let range = text.range(of: #""id":"approval-"#) else { continue }
                let id = text[range.upperBound...].prefix { $0.isNumber }
                try? connection.send(text: #"{"type":"approve","id":"approval-\#(id)"}"#)
            }
        }
        defer { approving.cancel() }
        try connection.send(text: #"{"type":"message","text":"Call it Beta"}"#)
        #expect(await eventually(within: .seconds(90)) { !process.isRunning }, "\(lines.all)")
        let last = try #require(lines.all.last { $0.hasPrefix("{") })
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let tools = seen["tools"] as? [String] ?? []
        #expect(tools.contains("shared_session_request_human_help") && tools.contains("shared_session_say"), "\(tools)")
        let messages = seen["messages"] as? [[String: Any]] ?? []
        #expect(messages.first?["text"] as? String == "Call it Beta" && messages.first?["from"] as? String == "human:person", "\(messages)")
        func step(_ name: String) -> (error: Bool, text: String) {
            let object = seen[name] as? [String: Any]
            return (object?["error"] as? Bool ?? true, object?["text"] as? String ?? "")
        }
        #expect(step("say").error == false)
        #expect(step("approved").error == false && step("approved").text.contains("Approved by human:person (submit)."), "\(step("approved").text)")
        #expect(step("rejected").error && step("rejected").text.contains("rejected by the page")
                && step("rejected").text.contains("already exists"), "\(step("rejected").text)")
        #expect(step("unknown").error && step("unknown").text.contains("shared_session_navigate") && !step("unknown").text.contains(" control,"),
                "\(step("unknown").text)")
        // The person saw the agent's message, and their own answers, in the live view.
        #expect(heard.all.contains { $0.contains(#""kind":"message""#) && $0.contains("Working on it") && $0.contains("py-people") })
        #expect(heard.all.filter { $0.contains(#""kind":"approvalAnswered""#) && $0.contains(#""decision":"approved""#) }.count == 2)
    }

    @Test func theHTTPServerRefusesCostlyInputAndDuplicateIdsAtOnce() async throws {
        let (server, url, token) = try startHTTPServer()
        defer { if server.isRunning { server.terminate() } }
        func post(_ body: Data, session: String? = nil) async throws -> (Int, String, HTTPURLResponse) {
            try await postMCP(body, to: url, token: token, session: session)
        }
        let (big, _, _) = try await post(Data(repeating: UInt8(ascii: " "), count: 5 << 20))
        #expect(big == 413)
        let (deep, deepText, _) = try await post(Data((String(repeating: "[", count: 500) + String(repeating: "]", count: 500)).utf8))
        #expect(deep == 400 && deepText.contains("nested deeper than 64"), "\(deep) \(deepText)")
        // A client of its own, then two calls with one id at once: starting a session takes a browser's
        // launch, so whichever comes second arrives while the first is unanswered.
        let (status, _, response) = try await post(initializeRequest("dup"))
        #expect(status == 200)
        let session = try #require(response.value(forHTTPHeaderField: "Mcp-Session-Id"))
        _ = try await post(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8), session: session)
        let call = Data(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"start_shared_session","arguments":{"session_id":"dup-ids","persistent_profile":false}}}"#.utf8)
        async let one = post(call, session: session)
        async let other = post(call, session: session)
        let answers = try await [one, other]
        let refused = answers.filter { $0.0 == 400 }
        let answered = answers.filter { $0.0 == 200 }
        #expect(refused.count == 1 && answered.count == 1, "\(answers.map { ($0.0, $0.1.prefix(200)) })")
        if let (_, text, _) = refused.first {
            #expect(text.contains(#""code":-32600"#) && text.contains("not yet answered"), "\(text)")
        }
        #expect(answered.first?.1.contains(#"session_id\":\"dup-ids"#) == true, "the other is answered: \(answered.first?.1.prefix(400) ?? "")")
        // Answered, its id is free again.
        let again = Data(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_shared_sessions","arguments":{}}}"#.utf8)
        let (againStatus, againText, _) = try await post(again, session: session)
        #expect(againStatus == 200 && againText.contains("dup-ids"), "\(againText.prefix(300))")
        server.terminate()
    }

    /// The live view's links go where people are: the server runs `--live-view-hook` once for each
    /// session that starts, with the links in its environment (not its arguments, which every user of
    /// the machine can read). Two starts of one session at once launch one browser and share it.
    @Test func aSessionsLinksGoToTheHostsHookOnceAndTwoStartsShareOneBrowser() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let hook = folder.appendingPathComponent("hook.sh"), seen = folder.appendingPathComponent("seen.txt")
        try "#!/bin/sh\necho \"$# $1 $SHARED_BROWSER_SESSION $SHARED_BROWSER_LIVE_VIEW_URL $SHARED_BROWSER_WATCH_URL\" >> \(seen.path)\n"
            .write(to: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: hook.path)
        let (server, url, token) = try startHTTPServer(["--live-view-hook", hook.path, "--no-recording"])
        defer { if server.isRunning { server.terminate() } }
        let (status, _, response) = try await postMCP(initializeRequest("hooked"), to: url, token: token)
        #expect(status == 200)
        let client = try #require(response.value(forHTTPHeaderField: "Mcp-Session-Id"))
        _ = try await postMCP(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8), to: url, token: token, session: client)
        func start(_ id: Int) -> Data {
            Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"start_shared_session","arguments":{"session_id":"hooked","profile":"temporary"}}}"#.utf8)
        }
        async let one = postMCP(start(11), to: url, token: token, session: client)
        async let other = postMCP(start(12), to: url, token: token, session: client)
        let answers = try await [one, other]
        #expect(answers.allSatisfy { $0.0 == 200 && $0.1.contains(#"session_id\":\"hooked"#) }, "\(answers.map { $0.1.prefix(300) })")
        #expect(await eventually(within: .seconds(10)) { (try? String(contentsOf: seen, encoding: .utf8))?.isEmpty == false })
        let lines = (try String(contentsOf: seen, encoding: .utf8)).split(separator: "\n")
        #expect(lines.count == 1, "once, for one browser: \(lines)")
        let words = lines.first?.split(separator: " ").map(String.init) ?? []
        #expect(words.count == 5 && words[0] == "1" && words[1] == "hooked" && words[2] == "hooked", "\(words)")
        #expect(words.count == 5 && words[3].hasPrefix("http://127.0.0.1:") && words[3].contains("token=")
                && words[4].hasPrefix("http://127.0.0.1:") && words[3] != words[4], "the control and watch links: \(words)")
        let list = Data(#"{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"list_shared_sessions","arguments":{}}}"#.utf8)
        let (_, listed, _) = try await postMCP(list, to: url, token: token, session: client)
        #expect(listed.components(separatedBy: "hooked:").count == 2, "one session: \(listed.prefix(400))")
        server.terminate()
    }

    /// Floods and slow clients: at the connection cap a new connection takes the place of the one
    /// that has waited longest for its request (so idle connections cannot keep a real client out), a
    /// connection that does not send a whole request in time is closed (headers never finished), and
    /// the server answers afterwards.
    @Test func theHTTPServerCapsConnectionsAndClosesSlowOnes() async throws {
        let (server, url, _) = try startHTTPServer(["--max-connections", "4", "--request-timeout", "3"])
        defer { if server.isRunning { server.terminate() } }
        let port = try #require(url.port)
        // Four slow clients, each with half a request.
        var slow: [Int32] = []
        defer { slow.forEach { close($0) } }
        for _ in 0..<4 {
            let fd = try #require(loopbackSocket(port: port))
            _ = "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1".withCString { send(fd, $0, strlen($0), 0) }
            slow.append(fd)
        }
        // A fifth is one too many: the first of the four makes room, the fifth stays.
        let fifth = try #require(loopbackSocket(port: port))
        defer { close(fifth) }
        // Within a second: sooner than the 3 s deadline could close it.
        #expect(peerCloses(slow[0], within: 1), "the connection waiting longest is closed")
        var byte: UInt8 = 0
        let stillOpen = recv(fifth, &byte, 1, Int32(MSG_DONTWAIT))
        #expect(stillOpen == -1 && errno == EAGAIN, "the fifth is open: it took the first one's place")
        // The slow ones are closed when their time is up.
        for fd in slow.dropFirst() + [fifth] { #expect(peerCloses(fd, within: 10), "a request not sent whole in time closes its connection") }
        // And the server answers the next client.
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 401, "answered (no token: 401)")
        server.terminate()
    }

    /// MCP clients are capped: one more `initialize` than `--max-clients` is answered 503, and once a
    /// client ends its session (DELETE) the next one gets in.
    @Test func theHTTPServerCapsItsClients() async throws {
        let (server, url, token) = try startHTTPServer(["--max-clients", "1"])
        defer { if server.isRunning { server.terminate() } }
        let (first, _, response) = try await postMCP(initializeRequest("one"), to: url, token: token)
        #expect(first == 200)
        let session = try #require(response.value(forHTTPHeaderField: "Mcp-Session-Id"))
        let (second, secondText, _) = try await postMCP(initializeRequest("two"), to: url, token: token)
        #expect(second == 503 && secondText.contains("too many MCP clients"), "\(second) \(secondText)")
        var end = URLRequest(url: url)
        end.httpMethod = "DELETE"
        end.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        end.setValue(session, forHTTPHeaderField: "Mcp-Session-Id")
        _ = try await URLSession.shared.data(for: end)
        let (third, _, _) = try await postMCP(initializeRequest("three"), to: url, token: token)
        #expect(third == 200, "a place came free")
        server.terminate()
    }

    /// A flood of idle connections to a server under a low file limit (it once died of SIGILL under
    /// 512 descriptors and 560 connections): the connections over the cap are closed, the descriptors
    /// that run out come back, and the server lives and answers a client right after.
    @Test func aFloodOfIdleConnectionsUnderALowFileLimitLeavesTheServerAnswering() async throws {
        let (server, url, token) = try startHTTPServer(["--max-connections", "1000"], fileLimit: 128)
        defer { if server.isRunning { server.terminate() } }
        var flood: [Int32] = []
        defer { flood.forEach { close($0) } }
        for _ in 0..<400 {
            guard let fd = loopbackSocket(port: try #require(url.port), blocking: false) else { break }
            flood.append(fd)
        }
        let pid = server.processIdentifier
        func openFiles() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0 }
        #expect(await eventually(within: .seconds(10)) { openFiles() >= 110 }, "the server ran out of descriptors: \(openFiles())")
        flood.forEach { close($0) }
        flood = []
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = 2   // answered within 2 s of the flood's end, or this fails
        request.httpBody = initializeRequest("after")
        for (name, value) in [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                              ("Accept", "application/json, text/event-stream")] { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(server.isRunning)
    }

    /// A client's calls cost its server nothing once answered: 1,000 `tools/list` calls (each answer
    /// about 9 KB) grow the server's memory by far less than the answers add up to. The SDK's own
    /// transport kept every answer for replay (40 to 129 MiB over 10,000 calls).
    @Test func answeredCallsAreNotKept() async throws {
        let (server, url, token) = try startHTTPServer()
        defer { if server.isRunning { server.terminate() } }
        let (status, _, response) = try await postMCP(initializeRequest("many-calls"), to: url, token: token)
        #expect(status == 200)
        let session = try #require(response.value(forHTTPHeaderField: "Mcp-Session-Id"))
        _ = try await postMCP(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8), to: url, token: token, session: session)
        func call(_ id: Int) async throws -> Int {
            let (status, text, _) = try await postMCP(Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/list"}"#.utf8),
                                                      to: url, token: token, session: session)
            #expect(status == 200 && text.contains("shared_session_navigate"))
            return text.utf8.count
        }
        let pid = server.processIdentifier
        func residentKiB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            return Int(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ")[1] ?? "") ?? 0
        }
        for id in 2..<202 { _ = try await call(id) }   // warm-up: caches, pools, the allocator's arenas
        let before = residentKiB()
        var answered = 0
        for id in 1000..<2000 { answered += try await call(id) }
        let grown = residentKiB() - before
        #expect(answered > 4_000_000, "the answers add up to \(answered / 1024) KiB")
        #expect(grown < answered / 1024 / 4, "the server grew \(grown) KiB over answers of \(answered / 1024) KiB")
        server.terminate()
    }

    /// A client that initializes and never comes back is let go after `--client-idle-timeout`, so
    /// that clients that never leave cannot hold every place; the refusals are counted at `/metrics`
    /// (behind the token) and logged as JSON lines on stderr.
    @Test func theHTTPServerLetsIdleClientsGoAndCountsRefusals() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-log-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: log) }
        let (server, url, token) = try startHTTPServer(["--max-clients", "1", "--client-idle-timeout", "1"], stderr: log)
        defer { if server.isRunning { server.terminate() } }
        #expect(try await postMCP(initializeRequest("one"), to: url, token: token).0 == 200)
        #expect(try await postMCP(initializeRequest("two"), to: url, token: token).0 == 503)
        // The first never comes back: within a few seconds its place is free (a state of another
        // process, with nothing to wait on but asking).
        let freed = await eventuallyAsync(within: .seconds(10)) {
            (try? await postMCP(initializeRequest("three"), to: url, token: token).0) == 200
        }
        #expect(freed, "an idle client was let go")

        let metricsURL = try #require(URL(string: url.absoluteString.replacingOccurrences(of: "/mcp", with: "/metrics")))
        var anonymous = URLRequest(url: metricsURL)
        anonymous.httpMethod = "GET"
        let (_, refused) = try await URLSession.shared.data(for: anonymous)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401, "metrics are behind the token")
        var request = anonymous
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("# TYPE sharedbrowser_connections_refused_total counter"))
        let clientRefusals = text.split(separator: "\n").first { $0.hasPrefix(#"sharedbrowser_connections_refused_total{door="mcp",reason="too_many_clients"}"#) }
        #expect(clientRefusals.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(text)")
        #expect(text.contains(#"sharedbrowser_connections_refused_total{door="mcp",reason="unauthorized"} 1"#), "\(text)")
        #expect(text.contains("sharedbrowser_mcp_clients 1"))
        #expect(text.contains("# TYPE sharedbrowser_action_duration_seconds histogram"))
        server.terminate()
        server.waitUntilExit()
        let lines = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).split(separator: "\n")
        let logged = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(logged.contains { $0["reason"] as? String == "too_many_clients" && $0["level"] as? String == "notice" }, "\(lines)")
        #expect(logged.contains { ($0["message"] as? String)?.contains("idle MCP client") == true }, "\(lines)")
    }
}
}
