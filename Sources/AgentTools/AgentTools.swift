public import CDPTransport
public import Coordination
import EventBuffer
public import Foundation
public import SharedSession

/// One of the session's actions or reads as a tool a model can call: a name, a description written
/// for the model, the JSON Schema of its arguments, and a handler that turns JSON arguments into a
/// `BrowserAction` (or a read), runs it as the calling participant and answers with text (and an
/// image for screenshots).
///
/// ```swift
/// let tools = AgentToolbox(session: session)                    // the default profile
/// let declarations = tools.tools.map { ($0.name, $0.description, $0.inputSchema) }  // for the model
/// let result = await tools.call("click", arguments: ["target": "e12"], as: .agent("planner"))
/// print(result.text)                                            // the action's report, or what went wrong
/// ```
public struct AgentTool: Sendable {
    /// The tool's name (`navigate`, `click`, …).
    public let name: String
    /// What it does, for the model.
    public let description: String
    /// The JSON Schema of its arguments (an object schema).
    public let inputSchema: JSONValue
    /// Whether it only reads (never changes the page).
    public let readOnly: Bool
    let handler: @Sendable (_ arguments: ToolArguments, _ call: AgentToolCall) async throws -> AgentToolResult
}

/// What a tool answers: text for the model, an image for screenshots, and whether the call failed
/// (a refused or failed action is a result with ``isError``, never a thrown error).
public struct AgentToolResult: Sendable {
    /// What the model reads: the action's report, the page, or what went wrong and what to do.
    public var text: String
    /// The image (a screenshot) and its MIME type.
    public var image: Data?
    /// The image's MIME type (`image/jpeg`).
    public var imageMimeType: String?
    /// Whether the call failed (a refusal, a failed action, bad arguments).
    public var isError: Bool
    /// The action's whole result, for callers that want more than the text.
    public var actionResult: ActionResult?

    /// A result with its text, an optional image, and whether it is an error.
    public init(text: String, image: Data? = nil, imageMimeType: String? = nil, isError: Bool = false, actionResult: ActionResult? = nil) {
        self.text = text
        self.image = image
        self.imageMimeType = imageMimeType
        self.isError = isError
        self.actionResult = actionResult
    }
}

/// Who calls, and on which session.
public struct AgentToolCall: Sendable {
    /// The session the call acts on.
    public var session: SharedBrowserSession
    /// Who calls: the action is recorded and checked for control as theirs.
    public var participant: Participant
    /// Whether `evaluate` may run (off unless the toolbox allows JavaScript).
    public var allowJavaScript: Bool
    /// The door the call's actions come through: the agent tools, with JavaScript as allowed.
    public var door: ActionDoor { .agentTools(allowJavaScript: allowJavaScript) }
}

/// Which tools a toolbox offers.
public enum AgentToolProfile: String, Sendable, CaseIterable {
    /// The handful an agent needs: navigate, snapshot, click, fill, fill_form, type, press, select,
    /// scroll, wait, screenshot, context, events, control, request_help, say. Small, so its schemas
    /// cost few tokens.
    case core
    /// Every action and read: also back, forward, reload, hover, check, uncheck, tabs, dialog,
    /// page_text, viewport, request_help, and evaluate when JavaScript is allowed.
    case full
}

/// The session's actions and reads as tools for models (function calling without MCP; the MCP server
/// is a thin layer over it).
public struct AgentToolbox: Sendable {
    /// The session the tools act on.
    public let session: SharedBrowserSession
    /// Which tools it offers.
    public let profile: AgentToolProfile
    /// Whether `evaluate` is offered and may run.
    public let allowJavaScript: Bool
    /// The tools of the profile, in a stable order.
    public let tools: [AgentTool]

    /// - Parameters:
    ///   - session: the session whose actions and reads the tools run.
    ///   - profile: ``AgentToolProfile/core`` by default.
    ///   - allowJavaScript: offer `evaluate` (in the full profile). Off by default: a model that may run
    ///     scripts may do anything the page can.
    public init(session: SharedBrowserSession, profile: AgentToolProfile = .core, allowJavaScript: Bool = false) {
        self.session = session
        self.profile = profile
        self.allowJavaScript = allowJavaScript
        tools = Self.tools(profile: profile, allowJavaScript: allowJavaScript)
    }

    /// The tools of a profile, without a session (to describe them before one runs).
    public static func tools(profile: AgentToolProfile = .core, allowJavaScript: Bool = false) -> [AgentTool] {
        AgentToolCatalog.all.filter { tool in
            (profile == .full || AgentToolCatalog.core.contains(tool.name)) && (tool.name != "evaluate" || allowJavaScript)
        }
    }

    /// The tool named `name`, if the profile offers it.
    public func tool(_ name: String) -> AgentTool? { tools.first { $0.name == name } }

    /// Calls a tool as `participant`. Unknown tools, arguments that do not fit the schema, refused and
    /// failed actions all come back as a result with ``AgentToolResult/isError`` and a text saying
    /// what to do.
    public func call(_ name: String, arguments: JSONValue = .object([:]), as participant: Participant) async -> AgentToolResult {
        guard let tool = tool(name) else {
            let known = tools.map(\.name).joined(separator: ", ")
            return AgentToolResult(text: "There is no tool \"\(name)\". Tools: \(known).", isError: true)
        }
        guard case .object(let fields) = arguments else {
            return AgentToolResult(text: "The arguments of \(name) must be a JSON object.", isError: true)
        }
        // An argument the tool does not take is an error, never silently ignored (a renamed one too).
        var known: [String] = []
        if case .object(let properties)? = tool.inputSchema["properties"] { known = Array(properties.keys) }
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            let takes = known.isEmpty ? "no arguments" : known.sorted().joined(separator: ", ")
            return AgentToolResult(text: "\(name) takes \(takes); not \(unknown).", isError: true)
        }
        do {
            return try await tool.handler(ToolArguments(tool: name, fields: fields),
                                          AgentToolCall(session: session, participant: participant, allowJavaScript: allowJavaScript))
        } catch let error as ToolArgumentError {
            return AgentToolResult(text: error.message, isError: true)
        } catch {
            return AgentToolResult(text: "\(name) failed: \(error)", isError: true)
        }
    }
}

/// A tool's arguments, read with clear errors.
struct ToolArguments: Sendable {
    let tool: String
    let fields: [String: JSONValue]

    func string(_ name: String) throws -> String? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .string(let text) = value else { throw ToolArgumentError("\(tool): \(name) must be a string") }
        return text
    }

    func required(_ name: String) throws -> String {
        guard let text = try string(name), !text.isEmpty else { throw ToolArgumentError("\(tool) needs \(name)") }
        return text
    }

    func number(_ name: String) throws -> Double? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .number(let number) = value else { throw ToolArgumentError("\(tool): \(name) must be a number") }
        return number
    }

    func int(_ name: String) throws -> Int? {
        guard let number = try number(name) else { return nil }
        guard let whole = Int(exactly: number.rounded()) else { throw ToolArgumentError("\(tool): \(name) must be a whole number") }
        return whole
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw ToolArgumentError("\(tool): \(name) must be true or false") }
        return flag
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = fields[name], value != .null else { return nil }
        if case .string(let one) = value { return [one] }
        guard case .array(let items) = value else { throw ToolArgumentError("\(tool): \(name) must be a list of strings") }
        return try items.map { item in
            guard case .string(let text) = item else { throw ToolArgumentError("\(tool): \(name) must be a list of strings") }
            return text
        }
    }
}

struct ToolArgumentError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
