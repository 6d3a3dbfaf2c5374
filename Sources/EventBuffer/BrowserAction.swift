/// One thing a participant asks the shared browser to do, as data: its type, its parameters and who
/// asks. Agents in this process, the live view, MCP clients and the timeline all speak it, and the
/// event stream records it (values typed into secret fields masked).
///
/// Its JSON form is flat and stable, for other processes to send:
///
/// ```json
/// {"version": 2, "type": "click", "params": {"target": "#submit"}, "source": {"kind": "agent", "id": "collector"}}
/// {"version": 2, "type": "fill", "params": {"target": "ref=e12", "value": "Widget"}, "source": {"kind": "agent", "id": "creator"}}
/// {"type": "mouse", "params": {"event": "click", "x": 120, "y": 48}, "source": {"kind": "human", "id": "alice"}}
/// ```
///
/// Element targets are strings as ``ActionParams/target`` describes; parameters an action does not
/// use are left out; `version` (``WireFormat``) may be left out by senders. Its JSON Schema is
/// `Documentation/schemas/action.schema.json`. The session's executor
/// (`SharedBrowserSession.run(_:options:)`) checks that the parameters an action needs are there.
public struct BrowserAction: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What the action does. The JSON `type` string.
    public struct ActionType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
        CustomStringConvertible {
        /// The type's name, the JSON `type`.
        public var rawValue: String
        /// The type named `rawValue` (a type this version does not know decodes, and is refused when run).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The type named by a string literal.
        public init(stringLiteral value: String) { rawValue = value }
        /// Decodes the type from its name.
        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        /// Encodes the type as its name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        /// The type's name.
        public var description: String { rawValue }

        /// The `navigate` kind (``ActionCatalog`` declares its parameters and policy).
        public static let navigate: Self = "navigate"
        /// The `back` kind (``ActionCatalog`` declares its parameters and policy).
        public static let back: Self = "back"
        /// The `forward` kind (``ActionCatalog`` declares its parameters and policy).
        public static let forward: Self = "forward"
        /// The `reload` kind (``ActionCatalog`` declares its parameters and policy).
        public static let reload: Self = "reload"
        /// The `click` kind (``ActionCatalog`` declares its parameters and policy).
        public static let click: Self = "click"
        /// The `hover` kind (``ActionCatalog`` declares its parameters and policy).
        public static let hover: Self = "hover"
        /// The `fill` kind (``ActionCatalog`` declares its parameters and policy).
        public static let fill: Self = "fill"
        /// The `type` kind (``ActionCatalog`` declares its parameters and policy).
        public static let type: Self = "type"
        /// The `press` kind (``ActionCatalog`` declares its parameters and policy).
        public static let press: Self = "press"
        /// The `selectOption` kind (``ActionCatalog`` declares its parameters and policy).
        public static let selectOption: Self = "selectOption"
        /// The `check` kind (``ActionCatalog`` declares its parameters and policy).
        public static let check: Self = "check"
        /// The `uncheck` kind (``ActionCatalog`` declares its parameters and policy).
        public static let uncheck: Self = "uncheck"
        /// The `scroll` kind (``ActionCatalog`` declares its parameters and policy).
        public static let scroll: Self = "scroll"
        /// The `evaluate` kind (``ActionCatalog`` declares its parameters and policy).
        public static let evaluate: Self = "evaluate"
        /// The `waitForSelector` kind (``ActionCatalog`` declares its parameters and policy).
        public static let waitForSelector: Self = "waitForSelector"
        /// The `waitForText` kind (``ActionCatalog`` declares its parameters and policy).
        public static let waitForText: Self = "waitForText"
        /// The `waitForURL` kind (``ActionCatalog`` declares its parameters and policy).
        public static let waitForURL: Self = "waitForURL"
        /// The `waitForNavigation` kind (``ActionCatalog`` declares its parameters and policy).
        public static let waitForNavigation: Self = "waitForNavigation"
        /// The `screenshot` kind (``ActionCatalog`` declares its parameters and policy).
        public static let screenshot: Self = "screenshot"
        /// The `setViewport` kind (``ActionCatalog`` declares its parameters and policy).
        public static let setViewport: Self = "setViewport"
        /// The `snapshot` kind (``ActionCatalog`` declares its parameters and policy).
        public static let snapshot: Self = "snapshot"
        /// The `pageContent` kind (``ActionCatalog`` declares its parameters and policy).
        public static let pageContent: Self = "pageContent"
        /// The `pageText` kind (``ActionCatalog`` declares its parameters and policy).
        public static let pageText: Self = "pageText"
        /// The `handleDialog` kind (``ActionCatalog`` declares its parameters and policy).
        public static let handleDialog: Self = "handleDialog"
        /// The `openTab` kind (``ActionCatalog`` declares its parameters and policy).
        public static let openTab: Self = "openTab"
        /// The `switchTab` kind (``ActionCatalog`` declares its parameters and policy).
        public static let switchTab: Self = "switchTab"
        /// The `closeTab` kind (``ActionCatalog`` declares its parameters and policy).
        public static let closeTab: Self = "closeTab"
        /// The `mouse` kind (``ActionCatalog`` declares its parameters and policy).
        public static let mouse: Self = "mouse"
        /// The `wheel` kind (``ActionCatalog`` declares its parameters and policy).
        public static let wheel: Self = "wheel"
        /// The `key` kind (``ActionCatalog`` declares its parameters and policy).
        public static let key: Self = "key"
        /// The `insertText` kind (``ActionCatalog`` declares its parameters and policy).
        public static let insertText: Self = "insertText"
        /// The `setStorageState` kind (``ActionCatalog`` declares its parameters and policy).
        public static let setStorageState: Self = "setStorageState"

        /// The kind's declaration; nil for a kind this version does not know.
        public var declaration: ActionDeclaration? { ActionCatalog.declaration(of: self) }

        /// Whether the kind's parameters may hold what someone typed (a secret string parameter:
        /// `value`, `text`, a single-character `key`), masked in records unless the field it went into
        /// is known not to be secret.
        public var carriesTypedText: Bool { declaration?.parameters.contains { $0.secret && $0.type == .string } ?? false }
    }

    /// What the action does.
    public var type: ActionType
    /// Its parameters (those its kind's declaration lists).
    public var params: ActionParams

    /// Whether it may change what its page shows, so a recording keeps pictures and the page's
    /// document before and after it: its kind changes a page (``ActionPolicy/changesPage``), and it is
    /// not a person's mouse move or key release.
    public var changesWhatIsShown: Bool {
        guard let policy = type.declaration?.policy, policy.changesPage, policy.needsPage else { return false }
        return !(type == .mouse && params.event == "move") && !(type == .key && params.event == "up")
    }
    /// Who asks.
    public var source: EventCause

    /// An action of `type` with `params`, asked by `source`.
    public init(_ type: ActionType, _ params: ActionParams = ActionParams(), source: EventCause) {
        self.type = type
        self.params = params
        self.source = source
    }

    /// The action as it may be recorded: the parameters its declaration marks secret are masked
    /// (`***`) unless `typedTextIsSafe` (the field is known to be neither a password nor a one-time
    /// code); a storage state is always masked to its cookie names and origins.
    public func redacted(typedTextIsSafe: Bool = false) -> BrowserAction {
        var copy = self
        if let state = copy.params.storageState { copy.params.storageState = state.masked }
        guard type.carriesTypedText, !typedTextIsSafe else { return copy }
        if copy.params.value != nil { copy.params.value = ActionParams.mask }
        if copy.params.text != nil { copy.params.text = ActionParams.mask }
        // A single character is typed text; named keys (`Enter`, `Control+A`) are not.
        if type == .key, let key = copy.params.key, key.count == 1 { copy.params.key = ActionParams.mask }
        return copy
    }

    private enum CodingKeys: String, CodingKey { case version, type, params, source }

    /// Encodes the action in the published form (``WireFormat``): `version`, `type`, `params` (those
    /// set), `source`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(WireFormat.version, forKey: .version)
        try c.encode(type, forKey: .type)
        try c.encode(params, forKey: .params)
        try c.encode(source, forKey: .source)
    }

    /// Decodes an action; `version` may be left out (an action of version 1 has the same form), and
    /// so may `params` when the kind takes none.
    /// - Throws: `DecodingError` for a version newer than ``WireFormat/version`` or a malformed action.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try WireFormat.check(try c.decodeIfPresent(Int.self, forKey: .version) ?? 1, codingPath: c.codingPath)
        type = try c.decode(ActionType.self, forKey: .type)
        params = try c.decodeIfPresent(ActionParams.self, forKey: .params) ?? ActionParams()
        source = try c.decode(EventCause.self, forKey: .source)
    }

    /// The type, what it acts on and who asks: `click #submit by agent:collector`.
    public var description: String {
        var parts = [type.rawValue]
        if let target = params.target { parts.append(target) }
        if let url = params.url { parts.append(url) }
        if let key = params.key { parts.append(key) }
        if let event = params.event { parts.append(event) }
        if let x = params.x, let y = params.y { parts.append("(\(x), \(y))") }
        return parts.joined(separator: " ") + " by \(source)"
    }
}

/// The parameters of a ``BrowserAction``; each action uses a few (see ``BrowserAction/ActionType``).
public struct ActionParams: Hashable, Sendable, Codable {
    /// What recorded actions show instead of typed secrets.
    public static let mask = "***"

    /// For `navigate` and `openTab`: the URL.
    public var url: String?
    /// An element: a CSS selector (`#login`, `css=#login`), visible text (`text=Sign in`, or
    /// `text="Sign in"` for the whole text) or a snapshot ref (`ref=e12`, `e12`).
    public var target: String?
    /// For `fill`: the new value (masked in records unless the field is known not to be secret).
    public var value: String?
    /// For `selectOption`: the values or labels to choose.
    public var values: [String]?
    /// For `type`, `waitForText` and `insertText`: the text.
    public var text: String?
    /// For `press` and `key`: the key or combination (`Enter`, `Control+A`).
    public var key: String?
    /// For `evaluate`: the JavaScript expression.
    public var script: String?
    /// For `waitForSelector`: `attached`, `visible`, `hidden` or `detached`.
    public var state: String?
    /// For `navigate`: `load`, `DOMContentLoaded` or `networkIdle`.
    public var waitUntil: String?
    /// For `waitForURL`: a URL, or a glob.
    public var pattern: String?
    /// For `mouse` and `key`: `move`, `down`, `up`, `click`, `doubleClick`, `press`.
    public var event: String?
    /// For `mouse` and `wheel`: CSS pixels from the viewport's left edge.
    public var x: Double?
    /// For `mouse` and `wheel`: CSS pixels from the viewport's top edge.
    public var y: Double?
    /// For `scroll` and `wheel`: pixels to scroll right.
    public var deltaX: Double?
    /// For `scroll` and `wheel`: pixels to scroll down.
    public var deltaY: Double?
    /// For `mouse`: `left`, `middle` or `right`.
    public var button: String?
    /// For `click` and `mouse`: 2 for a double click.
    public var clickCount: Int?
    /// `Alt`, `Control`, `Meta`, `Shift`.
    public var modifiers: [String]?
    /// For `handleDialog`: accept (OK) or dismiss (Cancel).
    public var accept: Bool?
    /// For `handleDialog`: the answer to a prompt.
    public var promptText: String?
    /// A tab id: the tab to switch to or close (`switchTab`, `closeTab`), or the tab an action on a
    /// page acts in (default the participant's own tab, else the active one).
    public var tab: String?
    /// For `openTab`: make the new tab the participant's own (its later actions without a tab go there).
    public var own: Bool?
    /// For `openTab`: what the participant's own tab is for, shown to people.
    public var purpose: String?
    /// For `setViewport`: the width in CSS pixels.
    public var width: Int?
    /// For `setViewport`: the height in CSS pixels.
    public var height: Int?
    /// For `screenshot`: the whole scrollable page.
    public var fullPage: Bool?
    /// For `screenshot`: `png`, `jpeg` or `webp`.
    public var format: String?
    /// For `screenshot`: JPEG or WebP quality, 0 to 100.
    public var quality: Int?
    /// For `snapshot`: only the interactive elements.
    public var interactiveOnly: Bool?
    /// For `snapshot`: leave out what lies deeper.
    public var maxDepth: Int?
    /// For `snapshot`: only the subtree of this element.
    public var root: String?
    /// For `pageText`: which part, from 1.
    public var page: Int?
    /// For `pageText`: the most tokens per part.
    public var tokens: Int?
    /// For `setStorageState`: the cookies and local storage to put into the browser.
    public var storageState: StorageState?

    /// Parameters for an action; set those its type takes (``ActionCatalog`` declares which).
    public init(url: String? = nil, target: String? = nil, value: String? = nil, values: [String]? = nil,
                text: String? = nil, key: String? = nil, script: String? = nil, state: String? = nil,
                waitUntil: String? = nil, pattern: String? = nil, event: String? = nil, x: Double? = nil,
                y: Double? = nil, deltaX: Double? = nil, deltaY: Double? = nil, button: String? = nil,
                clickCount: Int? = nil, modifiers: [String]? = nil, accept: Bool? = nil, promptText: String? = nil,
                tab: String? = nil, own: Bool? = nil, purpose: String? = nil, width: Int? = nil, height: Int? = nil, fullPage: Bool? = nil,
                format: String? = nil, quality: Int? = nil, interactiveOnly: Bool? = nil, maxDepth: Int? = nil,
                root: String? = nil, page: Int? = nil, tokens: Int? = nil, storageState: StorageState? = nil) {
        self.url = url
        self.target = target
        self.value = value
        self.values = values
        self.text = text
        self.key = key
        self.script = script
        self.state = state
        self.waitUntil = waitUntil
        self.pattern = pattern
        self.event = event
        self.x = x
        self.y = y
        self.deltaX = deltaX
        self.deltaY = deltaY
        self.button = button
        self.clickCount = clickCount
        self.modifiers = modifiers
        self.accept = accept
        self.promptText = promptText
        self.tab = tab
        self.own = own
        self.purpose = purpose
        self.width = width
        self.height = height
        self.fullPage = fullPage
        self.format = format
        self.quality = quality
        self.interactiveOnly = interactiveOnly
        self.maxDepth = maxDepth
        self.root = root
        self.page = page
        self.tokens = tokens
        self.storageState = storageState
    }
}
