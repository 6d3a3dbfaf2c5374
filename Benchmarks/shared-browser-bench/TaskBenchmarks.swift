import DemoSite
import Foundation

/// Tokens per finished task: `Benchmarks/peers/task_agent.py` does the DemoSite task suite over MCP,
/// against `shared-browser-mcp` (built beside this program) and, when Playwright is installed, against
/// Playwright MCP (`playwright mcp` with the system's Chromium), each on a site of its own with the same
/// 25 projects. The agent's lines pass through; then the site is checked (every task's effect is there)
/// and the two servers compared, task by task and in all.
///
/// With `traces` (a folder), every call and its answer go to `tasks-<server>.txt` there.
/// `python` needs the `mcp` package (and `quicktok-v1` for tokens); `playwright` is the `playwright`
/// command (by default the one beside `python`, else `.build/playwright-venv/bin/playwright`).
func benchTasks(python: String?, playwright: String?, traces: String?) async throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("Benchmarks/peers/task_agent.py").path
    let python = python ?? [root.appendingPathComponent(".build/mcp-venv/bin/python").path]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3"
    let ours = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shared-browser-mcp").path
    guard FileManager.default.isExecutableFile(atPath: ours) else {
        emit(["bench": "tasks", "skipped": "build shared-browser-mcp beside this program (swift build -c release)"])
        return
    }
    let playwrightCommand = playwright ?? [URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("playwright").path,
                                           root.appendingPathComponent(".build/playwright-venv/bin/playwright").path]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-pw-\(getpid())").path
    var servers: [(name: String, command: [String])] = [("shared-browser-mcp", [ours])]
    if let playwrightCommand {
        servers.append(("playwright-mcp", [playwrightCommand, "mcp", "--headless", "--isolated", "--no-sandbox",
                                           "--executable-path", "/usr/bin/chromium", "--output-dir", profile]))
    } else {
        emit(["bench": "tasks_peer", "skipped": "Playwright is not installed (pip install playwright, or Scripts/playwright-venv.sh)"])
    }
    var rows: [String: [String: [String: Any]]] = [:]   // server -> task (or "total") -> line
    for server in servers {
        let site = try await DemoSite.start(sampleProjects: 25)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let trace = traces.map { ["--trace", URL(fileURLWithPath: $0).appendingPathComponent("tasks-\(server.name).txt").path] } ?? []
        process.arguments = [script, "--site", site.baseURL, "--server", server.name] + trace + ["--"] + server.command
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            print(line)
            guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            switch row["bench"] as? String {
            case "tasks": rows[server.name, default: [:]][row["task"] as? String ?? "?"] = row
            case "tasks_total": rows[server.name, default: [:]]["total"] = row
            case "tasks_tool_list": rows[server.name, default: [:]]["tool_list"] = row
            default: break
            }
        }
        // What the tasks should have left on the site.
        let projects = site.projects
        let checks = [
            "created and deleted Zephyr": !projects.contains { $0.name == "Zephyr" } && projects.count == 25,
            "edited Lyra": projects.first { $0.name == "Lyra" }.map { $0.visibility == "public" && $0.description == "Moved to the north wing" } ?? false,
            "signed up Night Owls": site.signUps.map { "\($0.team) \($0.email) \($0.plan) \($0.seats) \($0.prioritySupport)" }
                == ["Night Owls owls@example.com team 10 true"],
        ]
        emit(["bench": "tasks_site_check", "server": server.name, "exit_status": Int(process.terminationStatus),
              "failed": checks.filter { !$0.value }.map(\.key).sorted().joined(separator: "; ")])
        await site.stop()
    }
    try? FileManager.default.removeItem(atPath: profile)
    // Ours against Playwright MCP's, task by task and in all.
    guard let mine = rows["shared-browser-mcp"], let theirs = rows["playwright-mcp"] else { return }
    func ratio(_ a: Any?, _ b: Any?) -> Double {
        guard let a = a as? Double ?? (a as? Int).map(Double.init), let b = b as? Double ?? (b as? Int).map(Double.init), b > 0 else { return .nan }
        return (a / b * 100).rounded() / 100
    }
    let toolLists = (mine["tool_list"]?["o200k_tokens"] as? Int ?? 0, theirs["tool_list"]?["o200k_tokens"] as? Int ?? 0)
    for (task, row) in mine.sorted(by: { $0.key < $1.key }) where !["total", "tool_list"].contains(task) {
        guard let peer = theirs[task] else { continue }
        let withList = ((row["tokens"] as? Int ?? 0) + toolLists.0, (peer["tokens"] as? Int ?? 0) + toolLists.1)
        emit(["bench": "tasks_vs_playwright", "task": task,
              "calls": row["calls"] as? Int ?? 0, "playwright_calls": peer["calls"] as? Int ?? 0,
              "tokens": row["tokens"] as? Int ?? 0, "playwright_tokens": peer["tokens"] as? Int ?? 0,
              "token_ratio": ratio(row["tokens"], peer["tokens"]),
              "token_ratio_with_tool_list": ratio(withList.0, withList.1),
              "both_succeeded": (row["succeeded"] as? Bool ?? false) && (peer["succeeded"] as? Bool ?? false)])
    }
    if let total = mine["total"], let peer = theirs["total"] {
        let mineTokens = (total["result_tokens"] as? Int ?? 0) + (total["image_tokens"] as? Int ?? 0)
        let theirTokens = (peer["result_tokens"] as? Int ?? 0) + (peer["image_tokens"] as? Int ?? 0)
        emit(["bench": "tasks_vs_playwright_total", "tasks": total["tasks"] as? Int ?? 0,
              "calls": total["calls"] as? Int ?? 0, "playwright_calls": peer["calls"] as? Int ?? 0,
              "tokens": mineTokens, "playwright_tokens": theirTokens, "token_ratio": ratio(mineTokens, theirTokens),
              "tool_list": toolLists.0, "playwright_tool_list": toolLists.1,
              "token_ratio_with_tool_list": ratio(mineTokens + toolLists.0, theirTokens + toolLists.1),
              "succeeded": total["succeeded"] as? Int ?? 0, "playwright_succeeded": peer["succeeded"] as? Int ?? 0])
    }
}
