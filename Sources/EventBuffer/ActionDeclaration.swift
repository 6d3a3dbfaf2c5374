/// Everything about one kind of ``BrowserAction`` that is not how it runs: its parameters and their
/// JSON form, what it does in a sentence, and its policy as data.
///
/// Each kind is declared once, in ``ActionCatalog``. The session's executor reads the policy (whether
/// the action needs control, queues, changes the page), every door checks the same declaration
/// (``admits(_:)``), the agent tools build their JSON Schemas from the parameters, and the reference
/// in `Documentation/Actions.md` is generated from it.
public struct ActionDeclaration: Sendable, Hashable {
    /// The kind this declares (the JSON `type`).
    public let kind: BrowserAction.ActionType
    /// What the action does, in one sentence for people and models.
    public let summary: String
    /// Its parameters, in the order the JSON form and the docs list them.
    public let parameters: [ActionParameter]
    /// Groups of parameters of which at least one must be given (`scroll`: `target`, or a delta).
    public let oneOf: [[String]]
    /// What may run it, and how.
    public let policy: ActionPolicy

    /// - Parameters:
    ///   - kind: the JSON `type`.
    ///   - summary: one sentence.
    ///   - parameters: the parameters, in order. A kind whose policy needs a page also takes `tab`.
    ///   - oneOf: groups of parameter names of which one must be given.
    ///   - policy: what may run it, and how.
    public init(_ kind: BrowserAction.ActionType, _ summary: String, parameters: [ActionParameter] = [],
                oneOf: [[String]] = [], policy: ActionPolicy) {
        self.kind = kind
        self.summary = summary
        // Every kind that acts on a page can be sent to a tab of its own choosing.
        self.parameters = policy.needsPage && !parameters.contains { $0.name == "tab" }
            ? parameters + [ActionParameter("tab", .string, ActionCatalog.tabParameter)] : parameters
        self.oneOf = oneOf
        self.policy = policy
    }

    /// The parameter of that name, if the kind has one.
    public func parameter(_ name: String) -> ActionParameter? { parameters.first { $0.name == name } }

    /// Whether an action of this kind may come through `door`: nil when it may, else the reason, in
    /// words that name the door. The one check every door makes.
    public func admits(_ door: ActionDoor) -> ActionRefusal? {
        guard policy.doors.contains(door.kind) else {
            return ActionRefusal(.notThroughThisDoor, "a \(kind) action cannot be sent through \(door.kind.description)")
        }
        if policy.needsJavaScript, !door.allowsJavaScript {
            return ActionRefusal(.javaScriptNotAllowed, "\(kind) runs JavaScript in the page, which \(door.kind.description) does not allow")
        }
        return nil
    }

    /// Checks an action's parameters against the declaration: every required one given, at least one
    /// of each ``oneOf`` group, nothing the kind does not take, and values from each parameter's
    /// allowed list. Nil when they fit, else what is wrong.
    public func check(_ params: ActionParams) -> ActionRefusal? {
        // One reflection of the parameters serves every check below.
        let values = params.givenValues
        let given = Set(values.keys)
        for parameter in parameters where parameter.required && !given.contains(parameter.name) {
            return ActionRefusal(.invalidParameters, "a \(kind) action needs \(parameter.name) in its params")
        }
        for group in oneOf where given.isDisjoint(with: group) {
            return ActionRefusal(.invalidParameters, "a \(kind) action needs \(group.joined(separator: " or ")) in its params")
        }
        let known = Set(parameters.map(\.name))
        if let extra = given.subtracting(known).sorted().first {
            let takes = parameters.isEmpty ? "no parameters" : parameters.map(\.name).joined(separator: ", ")
            return ActionRefusal(.invalidParameters, "a \(kind) action takes \(takes), not \(extra)")
        }
        for parameter in parameters {
            guard let allowed = parameter.allowed, let value = values[parameter.name] as? String else { continue }
            guard allowed.contains(value) else {
                return ActionRefusal(.invalidParameters, "\(parameter.name) of a \(kind) action is "
                                     + Self.alternatives(allowed) + ", not \(value)")
            }
        }
        return nil
    }

    /// `a, b or c`.
    static func alternatives(_ values: [String]) -> String {
        values.count < 2 ? values.joined() : values.dropLast().joined(separator: ", ") + " or " + values.last!
    }
}

/// One parameter of an action kind.
public struct ActionParameter: Sendable, Hashable {
    /// A parameter's JSON type.
    public enum ValueType: String, Sendable, Hashable {
        case string, number, integer, boolean
        /// An array of strings.
        case strings
        /// A ``StorageState`` object.
        case storageState
    }

    /// The key in the action's `params` (and the field of ``ActionParams``).
    public let name: String
    /// Its JSON type.
    public let type: ValueType
    /// Whether every action of the kind must give it.
    public let required: Bool
    /// What it means, for people and models.
    public let summary: String
    /// The values a string parameter may take; nil for any.
    public let allowed: [String]?
    /// Whether its value may be a secret (what was typed, a session's cookies): masked in what is
    /// recorded unless the session knows it is not.
    public let secret: Bool

    /// - Parameters:
    ///   - name: the key in `params`.
    ///   - type: its JSON type.
    ///   - required: whether it must be given.
    ///   - summary: what it means.
    ///   - allowed: the values a string may take.
    ///   - secret: whether its value may be a secret.
    public init(_ name: String, _ type: ValueType, required: Bool = false, _ summary: String, allowed: [String]? = nil,
                secret: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
        self.summary = summary
        self.allowed = allowed
        self.secret = secret
    }
}

/// How an action kind runs and who may send it.
public struct ActionPolicy: Sendable, Hashable {
    /// Whether the participant must hold control (reads and screenshots need none).
    public var needsControl: Bool
    /// Whether it waits its turn in the queue of its tab (or the browser's). Reads do not: they run
    /// beside the actions and never hold them up.
    public var queued: Bool
    /// Whether it acts on a page (the active tab) rather than on the browser (tabs, storage).
    public var needsPage: Bool
    /// Whether it may change what the page shows, so the recorder captures the page after it and the
    /// result reports what changed on the page.
    public var changesPage: Bool
    /// Whether its result reports what it changed on the page (fields the page marked invalid, alerts,
    /// a new document): the page is read before and after it.
    public var reportsPageFeedback: Bool
    /// Whether it may run while a JavaScript dialog is open (it answers the dialog).
    public var runsWithDialogOpen: Bool
    /// Which doors may send it.
    public var doors: Set<ActionDoor.Kind>
    /// Whether it runs JavaScript of the sender's in the page (allowed only where the door allows it).
    public var needsJavaScript: Bool

    /// - Parameters: as the properties.
    public init(needsControl: Bool = true, queued: Bool = true, needsPage: Bool = true, changesPage: Bool = false,
                reportsPageFeedback: Bool = false, runsWithDialogOpen: Bool = false, doors: Set<ActionDoor.Kind> = [.swiftAPI, .agentTools],
                needsJavaScript: Bool = false) {
        self.needsControl = needsControl
        self.queued = queued
        self.needsPage = needsPage
        self.changesPage = changesPage
        self.reportsPageFeedback = reportsPageFeedback
        self.runsWithDialogOpen = runsWithDialogOpen
        self.doors = doors
        self.needsJavaScript = needsJavaScript
    }
}

/// The way an action reached the session.
public struct ActionDoor: Sendable, Hashable {
    /// The kinds of door.
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Swift code in the session's process (`session.click(...)`, `session.run(_:)`).
        case swiftAPI
        /// A model's tool call: `AgentTools` and the MCP server.
        case agentTools
        /// A person's input from the live view (mouse, wheel, keys, pasted text).
        case personInput

        /// The door in words, for error messages.
        public var description: String {
            switch self {
            case .swiftAPI: "the Swift API"
            case .agentTools: "the agent tools"
            case .personInput: "a person's input"
            }
        }
    }

    /// Which door.
    public var kind: Kind
    /// Whether actions that run the sender's JavaScript may pass.
    public var allowsJavaScript: Bool

    /// - Parameters:
    ///   - kind: which door.
    ///   - allowsJavaScript: whether `evaluate` may pass.
    public init(_ kind: Kind, allowsJavaScript: Bool) {
        self.kind = kind
        self.allowsJavaScript = allowsJavaScript
    }

    /// Code in the session's process: every kind, JavaScript included.
    public static let swiftAPI = ActionDoor(.swiftAPI, allowsJavaScript: true)
    /// A person's input from the live view: input only, never JavaScript.
    public static let personInput = ActionDoor(.personInput, allowsJavaScript: false)
    /// A model's tool calls, JavaScript only where the toolbox allows it.
    public static func agentTools(allowJavaScript: Bool) -> ActionDoor {
        ActionDoor(.agentTools, allowsJavaScript: allowJavaScript)
    }
}

/// Why a door or a declaration refused an action, before anything ran.
public struct ActionRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal.
    public enum Reason: String, Sendable, Hashable {
        /// No kind of that name.
        case unknownKind
        /// The kind may not come through this door.
        case notThroughThisDoor
        /// The kind runs JavaScript and the door does not allow it.
        case javaScriptNotAllowed
        /// A required parameter is missing, one is not the kind's, or a value is not allowed.
        case invalidParameters
    }

    /// Which kind of refusal.
    public let reason: Reason
    /// What was wrong, naming the action and the parameter or door.
    public let message: String

    /// - Parameters:
    ///   - reason: which kind of refusal.
    ///   - message: what was wrong.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension ActionParams {
    /// The parameters that are set, by name, with their values.
    var givenValues: [String: Any] {
        var values: [String: Any] = [:]
        for case (let name?, let value) in Mirror(reflecting: self).children {
            guard let optional = value as? any OptionalProtocol, let wrapped = optional.wrapped else { continue }
            values[name] = wrapped
        }
        return values
    }
}

/// Lets ``ActionParams/givenValues`` unwrap a field through `Any`.
protocol OptionalProtocol { var wrapped: Any? { get } }
extension Optional: OptionalProtocol {
    var wrapped: Any? { self.map { $0 as Any } }
}
