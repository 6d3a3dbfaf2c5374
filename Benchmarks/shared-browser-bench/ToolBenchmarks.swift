import AgentTools
import ContentExtraction
import DemoSite
import Foundation
import SharedSession

/// The agent tools: what their declarations cost a model (estimated tokens of the name, description
/// and JSON Schema of each tool, as a client sends them), and what a call through the toolbox costs
/// over the same action run directly (`evaluate("1")`-like reads: the context's status line aside, a
/// `wait` for text that is there).
func benchTools(n: Int?, launch: CDPBrowser.LaunchOptions) async throws {
    let counter = EstimatedTokenCounter()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    for profile in AgentToolProfile.allCases {
        let tools = AgentToolbox.tools(profile: profile)
        let declarations = tools.map { tool -> String in
            let schema = (try? String(decoding: encoder.encode(tool.inputSchema), as: UTF8.self)) ?? ""
            return #"{"name":"shared_session_\#(tool.name)","description":"\#(tool.description)","inputSchema":\#(schema)}"#
        }
        emit(["bench": "tool_schemas", "profile": profile.rawValue, "tools": tools.count,
              "estimated_tokens": counter.count(declarations.joined(separator: ","))])
    }
    let site = try await DemoSite.start()
    let session = try await temporarySession(id: "bench-tools", launch: launch)
    let agent = Participant.agent("bench")
    _ = await session.coordinator.tryRequestControl(for: agent)
    try await session.navigate(to: site.url("/login"), as: agent).get()
    let toolbox = AgentToolbox(session: session)
    let rounds = n ?? 200
    var direct: [Duration] = [], viaTool: [Duration] = []
    let clock = ContinuousClock()
    for round in 0..<(rounds + 20) {
        var start = clock.now
        _ = try await session.run(BrowserAction(.waitForText, ActionParams(text: "Sign in"), source: EventCause(agent))).get()
        let one = start.duration(to: clock.now)
        start = clock.now
        let result = await toolbox.call("wait", arguments: ["text": "Sign in"], as: agent)
        let two = start.duration(to: clock.now)
        guard !result.isError else { throw SessionError(.notApplicable, "the wait tool failed: \(result.text)") }
        if round >= 20 { direct.append(one); viaTool.append(two) }
    }
    await session.close()
    await site.stop()
    let d = Stats(direct), t = Stats(viaTool)
    emit(["bench": "tool_call", "n": rounds, "direct_median_ms": d.ms(50), "tool_median_ms": t.ms(50), "tool_p95_ms": t.ms(95),
          "overhead_median_ms": ((t.percentile(50) - d.percentile(50)) / 1e6 * 1000).rounded() / 1000])
}
