import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

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
}

extension Chromium {
@Suite(.serialized) struct MCPServerTests {
    /// A real MCP client (the Python SDK) starts the server over stdio, lists the tools, starts a
    /// session, navigates, reads a snapshot, fills a field by its ref, clicks, reads the context and a
    /// screenshot; a call without its argument is a tool error. When the client goes, so does the browser.
    @Test(.enabled(if: PythonMCP.setUp.python != nil, PythonMCP.skipReason))
    func aPythonClientUsesTheServerOverStdio() async throws {
        let server = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shared-browser-mcp").path
        try #require(FileManager.default.isExecutableFile(atPath: server), "build with `swift build --build-tests`")
        let scenario = PlaywrightCLI.root.appendingPathComponent("Tests/MCPClient/stdio_scenario.py").path
        let page = "data:text/html,<title>Form</title><label>Name <input id=name></label>"
            + "<button id=save onclick=\"document.title=document.getElementById('name').value\">Save</button>"
        let python = try #require(PythonMCP.setUp.python)
        let run = try PlaywrightCLI.run(executable: python, [scenario, server, page], in: NSTemporaryDirectory())
        try #require(run.status == 0, "\(run.output.suffix(2000))")
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let tools = seen["tools"] as? [String] ?? []
        #expect(Set(tools).isSuperset(of: ["start_shared_session", "close_shared_session", "list_shared_sessions", "shared_session_navigate",
                                          "shared_session_snapshot", "shared_session_click", "shared_session_fill", "shared_session_context",
                                          "shared_session_events", "shared_session_screenshot", "shared_session_request_control",
                                          "shared_session_release_control", "shared_session_timeline"]), "\(tools)")
        #expect(!tools.contains("shared_session_evaluate"), "no JavaScript unless the server allows it")
        let started = try #require(seen["started"] as? [String: Any])
        #expect(started["session_id"] as? String == "mcp-stdio")
        #expect((started["live_view_url"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        #expect(started["participant"] as? String == "agent:py-tester", "each client acts as itself")
        func step(_ name: String) -> (error: Bool, text: String) {
            let object = seen[name] as? [String: Any]
            return (object?["error"] as? Bool ?? true, object?["text"] as? String ?? "")
        }
        #expect(step("navigate").error == false, "\(step("navigate").text)")
        #expect((seen["snapshot"] as? String)?.contains("Name") == true)
        #expect(step("fill").error == false && step("fill").text.hasPrefix("fill ref="), "\(step("fill").text)")
        #expect(step("click").error == false && step("click").text.contains("Ada"), "the page changed: \(step("click").text)")
        #expect((seen["context"] as? String)?.contains("you (py-tester) hold control") == true)
        #expect(seen["screenshot_types"] as? [String] == ["text", "image"])
        #expect(step("bad").error && step("bad").text == "click needs target")
        // The client is gone: so is the browser (its DevTools port answers no more).
        let devtoolsText = try #require(started["devtools_url"] as? String)
        let devtools = try #require(URL(string: devtoolsText))
        let version = "http://\(devtools.host ?? ""):\(devtools.port ?? 0)/json/version"
        #expect(await eventuallyAsync(within: .seconds(10)) {
            (try? await URLSession.shared.data(from: URL(string: version)!)) == nil
        }, "no Chromium left")
    }
}
}
