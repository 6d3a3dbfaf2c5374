import CDPTransport
import Foundation
import SharedSession

/// Reading pages for agents, page by page over a folder: `snapshot()` and `agentContext(budget: 4000)`
/// times (medians), what share of the interactive elements in view the Elements section holds at
/// 1,000 and 4,000 tokens, and — when Playwright for Python is installed — the time of Playwright's
/// `aria_snapshot` on the same pages in the same run, with the ratios. With `output`, the contexts
/// composed at 500 to 8,000 tokens are written there for `Benchmarks/peers/context_budget.py`, which
/// counts them with the real tokenizer.
func benchReading(directory: String, n: Int, output: String?, launch: CDPBrowser.LaunchOptions) async throws {
    let pages = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".html") }.sorted()
    if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
    let session = try await corpusSession(id: "bench-reading", launch: launch)
    let system = Participant.system
    var ours: [String: (snapshot: Double, context: Double)] = [:]
    var coverage: [Int: [Double]] = [1000: [], 4000: []]
    for page in pages {
        guard (try? await session.navigate(to: "file://" + directory + "/" + page, as: system,
                                           options: .init(timeout: .seconds(60), pageSummary: false)).get()) != nil else { continue }
        var snapshots: [Duration] = [], contexts: [Duration] = []
        for _ in 0..<n {
            snapshots.append(await session.snapshot(as: system).duration)
            let started = ContinuousClock.now
            _ = await session.agentContext(budget: 4000)
            contexts.append(started.duration(to: .now))
        }
        // What the Elements section shows of the interactive elements in view.
        let input = await session.contextInput()
        let inView = Set((input.snapshot?.lines ?? []).filter { $0.visible == true }.flatMap(\.refs))
        var shares: [Int: Double] = [:]
        for budget in [500, 1000, 2000, 4000, 8000] {
            let context = ContextComposer(budgets: .init(total: budget)).compose(input)
            if let output { try context.text.write(toFile: "\(output)/\(page).\(budget).txt", atomically: true, encoding: .utf8) }
            guard budget == 1000 || budget == 4000 else { continue }
            let elements = context.text.components(separatedBy: "== Elements").dropFirst().first ?? ""
            let shown = inView.filter { elements.contains("ref=" + $0 + " ") || elements.contains("ref=" + $0 + "\n") || elements.hasSuffix("ref=" + $0) }.count
            let share = inView.isEmpty ? 1 : Double(shown) / Double(inView.count)
            coverage[budget]?.append(share)
            shares[budget] = (share * 1000).rounded() / 1000
        }
        let s = Stats(snapshots), c = Stats(contexts)
        ours[page] = (s.ms(50), c.ms(50))
        emit(["bench": "reading", "page": page, "n": n, "snapshot_median_ms": s.ms(50), "agent_context_median_ms": c.ms(50),
              "in_view_interactive": inView.count, "in_view_shown_1000": shares[1000] ?? 1, "in_view_shown_4000": shares[4000] ?? 1])
    }
    // Growth with the page's size: forms of 1,000, 3,000 and 10,000 labelled fields.
    for fields in [1000, 3000, 10_000] {
        let form = (0..<fields).map { "<label for=f\($0)>Field \($0)</label><input id=f\($0) name=f\($0)><br>" }.joined()
        let path = NSTemporaryDirectory() + "shared-browser-fields-\(fields).html"
        try ("<title>\(fields) fields</title><form method=post action=/save>" + form + "<button>Save</button></form>")
            .write(toFile: path, atomically: true, encoding: .utf8)
        try await session.navigate(to: "file://" + path, as: system, options: .init(timeout: .seconds(60), pageSummary: false)).get()
        var contexts: [Duration] = []
        for _ in 0..<3 {
            let started = ContinuousClock.now
            _ = await session.agentContext(budget: 4000)
            contexts.append(started.duration(to: .now))
        }
        let snapshot = await session.snapshot(as: system)
        emit(["bench": "reading_fields", "fields": fields, "agent_context_median_ms": Stats(contexts).ms(50),
              "snapshot_ms": Stats([snapshot.duration]).ms(50)])
        try? FileManager.default.removeItem(atPath: path)
    }
    await session.close()
    for (budget, shares) in coverage.sorted(by: { $0.key < $1.key }) where !shares.isEmpty {
        let total = shares.reduce(0, +) / Double(shares.count)
        emit(["bench": "reading_in_view", "budget": budget, "pages": shares.count,
              "mean_share": (total * 1000).rounded() / 1000, "min_share": ((shares.min() ?? 0) * 1000).rounded() / 1000])
    }
    // The peer, in the same run, when it is installed.
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("peers/aria_snapshot_bench.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, directory, "--n", "\(n)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.standardError
    do { try process.run() } catch {
        emit(["bench": "reading_peer", "skipped": "python3 could not run: \(error)"])
        return
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        emit(["bench": "reading_peer", "skipped": "Playwright for Python is not installed (pip install playwright)"])
        return
    }
    var snapshotRatios: [Double] = [], contextRatios: [Double] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let page = row["page"] as? String, let theirs = row["median_ms"] as? Double, let mine = ours[page], theirs > 0 else { continue }
        snapshotRatios.append(mine.snapshot / theirs)
        contextRatios.append(mine.context / theirs)
        emit(["bench": "reading_vs_playwright", "page": page, "aria_snapshot_median_ms": theirs,
              "snapshot_median_ms": mine.snapshot, "snapshot_ratio": (mine.snapshot / theirs * 100).rounded() / 100,
              "agent_context_median_ms": mine.context, "agent_context_ratio": (mine.context / theirs * 100).rounded() / 100])
    }
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
    emit(["bench": "reading_vs_playwright_summary", "pages": snapshotRatios.count,
          "snapshot_median_ratio": (median(snapshotRatios) * 100).rounded() / 100,
          "agent_context_median_ratio": (median(contextRatios) * 100).rounded() / 100,
          "snapshot_pages_at_or_below": snapshotRatios.filter { $0 <= 1 }.count])
}
