/// The declaration of every action kind: the one place that says what each kind takes and what
/// policy it runs under. The executor, the doors, the agent tools' schemas and the action reference
/// (`Documentation/Actions.md`) read it.
///
/// To add a kind: declare it here (and its name in ``BrowserAction/ActionType``), execute it in the
/// session's `ActionExecutor`, and test it; `Documentation/Development.md` walks through it.
public enum ActionCatalog {
    /// Every declaration, in the order the reference lists them.
    public static let declarations: [ActionDeclaration] = navigation + elements + scripts + reads + tabs + input + browser

    /// The declaration of a kind; nil for a kind this version does not know.
    public static func declaration(of kind: BrowserAction.ActionType) -> ActionDeclaration? { byKind[kind] }

    private static let byKind: [BrowserAction.ActionType: ActionDeclaration] =
        Dictionary(uniqueKeysWithValues: declarations.map { ($0.kind, $0) })

    /// Checks an action before anything runs: a known kind, through a door that may send it, with
    /// parameters that fit. Nil when it may run, else why not.
    public static func admit(_ action: BrowserAction, through door: ActionDoor) -> ActionRefusal? {
        guard let declaration = declaration(of: action.type) else {
            return ActionRefusal(.unknownKind, "unknown action type \"\(action.type)\"")
        }
        return declaration.admits(door) ?? declaration.check(action.params)
    }

    // MARK: Shared parameters and policies

    static let element = "An element: a snapshot ref (e12), a CSS selector (#login) or text=Label."
    static func target(required: Bool = true, _ summary: String = element) -> ActionParameter {
        ActionParameter("target", .string, required: required, summary)
    }
    /// What the `tab` parameter of every action on a page means, as the declarations and the agent tools say it.
    public static let tabParameter = "A tab id (default: your own tab, else the active one)."
    static let loadStates = ["load", "DOMContentLoaded", "networkIdle"]
    static let modifiers = ActionParameter("modifiers", .strings, "Keys held: Alt, Control, Meta, Shift.")

    /// Changes the page and reports what changed on it (invalid fields, alerts, a new document).
    static let pageAction = ActionPolicy(changesPage: true, reportsPageFeedback: true)
    /// A navigation a person may also make in the live view (its address bar and history buttons).
    static let personNavigation = ActionPolicy(changesPage: true, reportsPageFeedback: true, doors: [.swiftAPI, .agentTools, .personInput])
    /// Reads: no control, no queue.
    static let read = ActionPolicy(needsControl: false, queued: false)
    /// A person's raw input, also open to Swift code.
    static let rawInput = ActionPolicy(changesPage: true, doors: [.swiftAPI, .personInput])

    // MARK: The kinds

    static let navigation: [ActionDeclaration] = [
        ActionDeclaration(.navigate, "Open a URL in the active tab and wait until it has loaded.", parameters: [
            ActionParameter("url", .string, required: true, "The absolute URL to open (http, https)."),
            ActionParameter("waitUntil", .string, "How far loading must get. Default load.", allowed: loadStates),
        ], policy: personNavigation),
        ActionDeclaration(.back, "Go back one page in the tab's history.", policy: personNavigation),
        ActionDeclaration(.forward, "Go forward one page in the tab's history.", policy: personNavigation),
        ActionDeclaration(.reload, "Reload the page.", policy: personNavigation),
    ]

    static let elements: [ActionDeclaration] = [
        ActionDeclaration(.click, "Click an element, waiting until it is visible, enabled and still.", parameters: [
            target(), ActionParameter("clickCount", .integer, "2 for a double click. Default 1."),
        ], policy: pageAction),
        ActionDeclaration(.hover, "Move the mouse over an element (menus that open on hover).", parameters: [target()],
                          policy: ActionPolicy(changesPage: true)),
        ActionDeclaration(.fill, "Replace the value of a text field, text area or editable element.", parameters: [
            target(), ActionParameter("value", .string, required: true, "The new value.", secret: true),
        ], policy: pageAction),
        ActionDeclaration(.type, "Type text key by key, into the target or the focused element.", parameters: [
            ActionParameter("text", .string, required: true, "The text to type.", secret: true),
            target(required: false),
        ], policy: pageAction),
        ActionDeclaration(.press, "Press a key or a combination (Enter, Tab, Escape, ArrowDown, Control+A).", parameters: [
            ActionParameter("key", .string, required: true, "The key or combination."),
            target(required: false, "The element to focus first; default the focused one."),
        ], policy: pageAction),
        ActionDeclaration(.selectOption, "Choose options of a `<select>` by value or visible label.", parameters: [
            target(), ActionParameter("values", .strings, required: true, "The values or labels to choose."),
        ], policy: pageAction),
        ActionDeclaration(.check, "Tick a checkbox or choose a radio button (nothing happens if it already is).",
                          parameters: [target()], policy: pageAction),
        ActionDeclaration(.uncheck, "Untick a checkbox.", parameters: [target()], policy: pageAction),
        ActionDeclaration(.scroll, "Scroll an element into view, or the page by a delta in CSS pixels.", parameters: [
            target(required: false, "The element to bring into view."),
            ActionParameter("deltaX", .number, "Pixels to scroll right (negative: left)."),
            ActionParameter("deltaY", .number, "Pixels to scroll down (negative: up)."),
        ], oneOf: [["target", "deltaX", "deltaY"]], policy: ActionPolicy(changesPage: true)),
    ]

    static let scripts: [ActionDeclaration] = [
        ActionDeclaration(.evaluate, "Run a JavaScript expression in the page and answer with its value (JSON).", parameters: [
            ActionParameter("script", .string, required: true,
                            "The expression; a function body needs to be wrapped in an immediately called function."),
        ], policy: ActionPolicy(changesPage: true, needsJavaScript: true)),
        ActionDeclaration(.waitForSelector, "Wait until an element reaches a state.", parameters: [
            target(), ActionParameter("state", .string, "The state to wait for. Default visible.",
                                      allowed: ["attached", "visible", "hidden", "detached"]),
        ], policy: ActionPolicy()),
        ActionDeclaration(.waitForText, "Wait until text appears on the page.", parameters: [
            ActionParameter("text", .string, required: true, "The text to wait for."),
        ], policy: ActionPolicy()),
        ActionDeclaration(.waitForURL, "Wait until the tab's URL matches.", parameters: [
            ActionParameter("pattern", .string, required: true, "A URL, or a glob (https://shop.test/orders/*)."),
        ], policy: ActionPolicy()),
        ActionDeclaration(.waitForNavigation, "Wait until the tab's next navigation has loaded.",
                          policy: ActionPolicy(doors: [.swiftAPI])),
    ]

    static let reads: [ActionDeclaration] = [
        ActionDeclaration(.screenshot, "Take a picture of the active tab: the viewport, or the whole page.", parameters: [
            ActionParameter("fullPage", .boolean, "The whole scrollable page. Default false."),
            ActionParameter("format", .string, "The image format. Default png.", allowed: ["png", "jpeg", "webp"]),
            ActionParameter("quality", .integer, "For jpeg and webp: 0 to 100."),
        ], policy: read),
        ActionDeclaration(.snapshot, "Read the page as an accessibility tree with element refs (like e12).", parameters: [
            ActionParameter("interactiveOnly", .boolean, "Only elements one can act on (links, buttons, fields). Default false."),
            ActionParameter("maxDepth", .integer, "Leave out what lies deeper."),
            ActionParameter("root", .string, "Only the subtree of this element."),
        ], policy: read),
        ActionDeclaration(.pageContent, "Everything extracted from the page's HTML: links, forms, headings, images, meta, main text.",
                          policy: ActionPolicy(needsControl: false, queued: false, doors: [.swiftAPI])),
        ActionDeclaration(.pageText, "The page's main text, a part at a time (for long articles).", parameters: [
            ActionParameter("page", .integer, "Which part, from 1. Default 1."),
            ActionParameter("tokens", .integer, "Tokens per part. Default 2000."),
        ], policy: read),
        ActionDeclaration(.setViewport, "Resize the tab's viewport (CSS pixels).", parameters: [
            ActionParameter("width", .integer, required: true, "Width."),
            ActionParameter("height", .integer, required: true, "Height."),
        ], policy: ActionPolicy(changesPage: true)),
        ActionDeclaration(.handleDialog, "Answer the open JavaScript dialog (alert, confirm, prompt, beforeunload).", parameters: [
            ActionParameter("accept", .boolean, required: true, "Accept (OK) or dismiss (Cancel)."),
            ActionParameter("promptText", .string, "For a prompt: the text to answer."),
        ], policy: ActionPolicy(changesPage: true, runsWithDialogOpen: true)),
    ]

    static let tabs: [ActionDeclaration] = [
        ActionDeclaration(.openTab, "Open a tab (at a URL, or blank) and make it the active one, or your own.", parameters: [
            ActionParameter("url", .string, "The URL to open."),
            ActionParameter("own", .boolean, "Make it your own tab, held by you: your later actions without a tab go there, "
                            + "and the active tab stays as it is. Default false."),
            ActionParameter("purpose", .string, "For your own tab: what it is for, shown to people beside it (\"invoices\")."),
        ], policy: ActionPolicy(needsPage: false, changesPage: true)),
        ActionDeclaration(.switchTab, "Make another tab the active one.", parameters: [
            ActionParameter("tab", .string, required: true, "The tab's id."),
        ], policy: ActionPolicy(needsPage: false, changesPage: true, doors: [.swiftAPI, .agentTools, .personInput])),
        ActionDeclaration(.closeTab, "Close a tab (your own by default, else the active one).", parameters: [
            ActionParameter("tab", .string, "The tab's id. Default your own tab, else the active one."),
        ], policy: ActionPolicy(needsPage: false, changesPage: true)),
    ]

    static let input: [ActionDeclaration] = [
        ActionDeclaration(.mouse, "Mouse input at a point of the viewport (CSS pixels).", parameters: [
            ActionParameter("event", .string, required: true, "What the mouse does.",
                            allowed: ["move", "down", "up", "click", "doubleClick"]),
            ActionParameter("x", .number, required: true, "From the viewport's left edge."),
            ActionParameter("y", .number, required: true, "From the viewport's top edge."),
            ActionParameter("button", .string, "Default left.", allowed: ["left", "middle", "right"]),
            ActionParameter("clickCount", .integer, "For down and up: 2 for the second click of a double click. Default 1."),
            modifiers,
        ], policy: rawInput),
        ActionDeclaration(.wheel, "Wheel input at a point of the viewport, scrolling by a delta.", parameters: [
            ActionParameter("x", .number, "From the viewport's left edge. Default 0."),
            ActionParameter("y", .number, "From the viewport's top edge. Default 0."),
            ActionParameter("deltaX", .number, "Pixels to scroll right."),
            ActionParameter("deltaY", .number, "Pixels to scroll down."),
            modifiers,
        ], oneOf: [["deltaX", "deltaY"]], policy: rawInput),
        ActionDeclaration(.key, "Key input: press a key or combination, or hold one down or let it go.", parameters: [
            ActionParameter("event", .string, "Default press.", allowed: ["down", "up", "press"]),
            ActionParameter("key", .string, required: true, "A key (a, Enter), or for press a combination (Control+A).", secret: true),
            modifiers,
        ], policy: rawInput),
        ActionDeclaration(.insertText, "Text inserted at the cursor, as if pasted or composed.", parameters: [
            ActionParameter("text", .string, required: true, "The text.", secret: true),
        ], policy: ActionPolicy(changesPage: true, reportsPageFeedback: true, doors: [.swiftAPI, .personInput])),
    ]

    static let browser: [ActionDeclaration] = [
        ActionDeclaration(.setStorageState, "Put cookies and local storage into the browser (a saved sign-in).", parameters: [
            ActionParameter("storageState", .storageState, required: true, "Cookies and each origin's local storage.", secret: true),
        ], policy: ActionPolicy(needsPage: false, doors: [.swiftAPI])),
    ]
}

extension ActionCatalog {
    /// The action reference in Markdown, made from the declarations: `Documentation/Actions.md` is
    /// this text (a test keeps it so).
    public static var markdownReference: String {
        var lines = [
            "# Actions",
            "",
            "Every action a participant can ask of the shared browser, as `BrowserAction` JSON",
            "(`{\"type\": ..., \"params\": {...}, \"source\": {\"kind\": ..., \"id\": ...}}`). This page is generated from",
            "the declarations in `Sources/EventBuffer/ActionCatalog.swift`; edit them, not this page.",
            "",
            "Doors: **swift** — Swift code in the session's process; **tools** — the agent tools and the MCP",
            "server; **person** — a person's input from the live view. A kind that runs JavaScript passes a door only",
            "where that door allows JavaScript.",
            "",
            "| type | what it does | control | queued | changes the page | doors |",
            "|---|---|---|---|---|---|",
        ]
        func yes(_ flag: Bool) -> String { flag ? "yes" : "no" }
        let doorNames: [ActionDoor.Kind: String] = [.swiftAPI: "swift", .agentTools: "tools", .personInput: "person"]
        for declaration in declarations {
            let policy = declaration.policy
            let doors = ActionDoor.Kind.allCases.filter(policy.doors.contains).compactMap { doorNames[$0] }.joined(separator: ", ")
            let scope = policy.needsPage ? "" : " (the browser, not a page)"
            lines.append("| `\(declaration.kind)` | \(declaration.summary)\(scope)\(policy.needsJavaScript ? " Runs JavaScript." : "") "
                         + "| \(yes(policy.needsControl)) | \(yes(policy.queued)) | \(yes(policy.changesPage)) | \(doors) |")
        }
        lines += ["", "## Parameters", ""]
        for declaration in declarations {
            lines.append("### `\(declaration.kind)`")
            lines.append("")
            if declaration.parameters.isEmpty {
                lines.append("No parameters.")
            } else {
                for parameter in declaration.parameters {
                    var line = "- `\(parameter.name)` (\(parameter.type.rawValue)\(parameter.required ? ", required" : ""))"
                    line += ": \(parameter.summary)"
                    if let allowed = parameter.allowed { line += " One of " + allowed.map { "`\($0)`" }.joined(separator: ", ") + "." }
                    if parameter.secret {
                        line += parameter.type == .string ? " Masked in records unless the field it went into is known not to be secret."
                            : " Its values are always masked in records."
                    }
                    lines.append(line)
                }
                for group in declaration.oneOf {
                    lines.append("- At least one of " + group.map { "`\($0)`" }.joined(separator: ", ") + ".")
                }
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
