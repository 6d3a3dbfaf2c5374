// Generated from ActionCatalog's declarations by ActionReferenceTests
// (UPDATE_ACTION_REFERENCE=1 swift test --filter ActionReferenceTests). Do not edit.

/// Each action kind's parameters as a Swift type: the required ones not optional. Made from the
/// declarations in ``ActionCatalog``; `init?(_:)` reads them from an action's ``ActionParams`` (nil when
/// a required one is missing) and ``ActionParametersType/params`` gives them back.
public enum ActionParameters {
    /// The parameters of a `navigate` action: Open a URL in the active tab and wait until it has loaded.
    public struct Navigate: ActionParametersType {
        /// `navigate`.
        public static let kind: BrowserAction.ActionType = .navigate
        /// The absolute URL to open (http, https).
        public var url: String
        /// How far loading must get. Default load.
        public var waitUntil: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(url: String, waitUntil: String? = nil, tab: String? = nil) {
            self.url = url
            self.waitUntil = waitUntil
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let url = params.url else { return nil }
            self.url = url
            self.waitUntil = params.waitUntil
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.url = url
            params.waitUntil = waitUntil
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `back` action: Go back one page in the tab's history.
    public struct Back: ActionParametersType {
        /// `back`.
        public static let kind: BrowserAction.ActionType = .back
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `forward` action: Go forward one page in the tab's history.
    public struct Forward: ActionParametersType {
        /// `forward`.
        public static let kind: BrowserAction.ActionType = .forward
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `reload` action: Reload the page.
    public struct Reload: ActionParametersType {
        /// `reload`.
        public static let kind: BrowserAction.ActionType = .reload
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `click` action: Click an element, waiting until it is visible, enabled and still.
    public struct Click: ActionParametersType {
        /// `click`.
        public static let kind: BrowserAction.ActionType = .click
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// 2 for a double click. Default 1.
        public var clickCount: Int?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, clickCount: Int? = nil, tab: String? = nil) {
            self.target = target
            self.clickCount = clickCount
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            self.target = target
            self.clickCount = params.clickCount
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.clickCount = clickCount
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `hover` action: Move the mouse over an element (menus that open on hover).
    public struct Hover: ActionParametersType {
        /// `hover`.
        public static let kind: BrowserAction.ActionType = .hover
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, tab: String? = nil) {
            self.target = target
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            self.target = target
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `fill` action: Replace the value of a text field, text area or editable element.
    public struct Fill: ActionParametersType {
        /// `fill`.
        public static let kind: BrowserAction.ActionType = .fill
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// The new value.
        public var value: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, value: String, tab: String? = nil) {
            self.target = target
            self.value = value
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            guard let value = params.value else { return nil }
            self.target = target
            self.value = value
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.value = value
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `type` action: Type text key by key, into the target or the focused element.
    public struct TypeText: ActionParametersType {
        /// `type`.
        public static let kind: BrowserAction.ActionType = .type
        /// The text to type.
        public var text: String
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(text: String, target: String? = nil, tab: String? = nil) {
            self.text = text
            self.target = target
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let text = params.text else { return nil }
            self.text = text
            self.target = params.target
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.text = text
            params.target = target
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `press` action: Press a key or a combination (Enter, Tab, Escape, ArrowDown, Control+A).
    public struct Press: ActionParametersType {
        /// `press`.
        public static let kind: BrowserAction.ActionType = .press
        /// The key or combination.
        public var key: String
        /// The element to focus first; default the focused one.
        public var target: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(key: String, target: String? = nil, tab: String? = nil) {
            self.key = key
            self.target = target
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let key = params.key else { return nil }
            self.key = key
            self.target = params.target
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.key = key
            params.target = target
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `selectOption` action: Choose options of a `<select>` by value or visible label.
    public struct SelectOption: ActionParametersType {
        /// `selectOption`.
        public static let kind: BrowserAction.ActionType = .selectOption
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// The values or labels to choose.
        public var values: [String]
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, values: [String], tab: String? = nil) {
            self.target = target
            self.values = values
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            guard let values = params.values else { return nil }
            self.target = target
            self.values = values
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.values = values
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `check` action: Tick a checkbox or choose a radio button (nothing happens if it already is).
    public struct Check: ActionParametersType {
        /// `check`.
        public static let kind: BrowserAction.ActionType = .check
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, tab: String? = nil) {
            self.target = target
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            self.target = target
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `uncheck` action: Untick a checkbox.
    public struct Uncheck: ActionParametersType {
        /// `uncheck`.
        public static let kind: BrowserAction.ActionType = .uncheck
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, tab: String? = nil) {
            self.target = target
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            self.target = target
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `scroll` action: Scroll an element into view, or the page by a delta in CSS pixels.
    public struct Scroll: ActionParametersType {
        /// `scroll`.
        public static let kind: BrowserAction.ActionType = .scroll
        /// The element to bring into view.
        public var target: String?
        /// Pixels to scroll right (negative: left).
        public var deltaX: Double?
        /// Pixels to scroll down (negative: up).
        public var deltaY: Double?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String? = nil, deltaX: Double? = nil, deltaY: Double? = nil, tab: String? = nil) {
            self.target = target
            self.deltaX = deltaX
            self.deltaY = deltaY
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.target = params.target
            self.deltaX = params.deltaX
            self.deltaY = params.deltaY
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.deltaX = deltaX
            params.deltaY = deltaY
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `evaluate` action: Run a JavaScript expression in the page and answer with its value (JSON).
    public struct Evaluate: ActionParametersType {
        /// `evaluate`.
        public static let kind: BrowserAction.ActionType = .evaluate
        /// The expression; a function body needs to be wrapped in an immediately called function.
        public var script: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(script: String, tab: String? = nil) {
            self.script = script
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let script = params.script else { return nil }
            self.script = script
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.script = script
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `waitForSelector` action: Wait until an element reaches a state.
    public struct WaitForSelector: ActionParametersType {
        /// `waitForSelector`.
        public static let kind: BrowserAction.ActionType = .waitForSelector
        /// An element: a snapshot ref (e12), a CSS selector (#login) or text=Label.
        public var target: String
        /// The state to wait for. Default visible.
        public var state: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(target: String, state: String? = nil, tab: String? = nil) {
            self.target = target
            self.state = state
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let target = params.target else { return nil }
            self.target = target
            self.state = params.state
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.target = target
            params.state = state
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `waitForText` action: Wait until text appears on the page.
    public struct WaitForText: ActionParametersType {
        /// `waitForText`.
        public static let kind: BrowserAction.ActionType = .waitForText
        /// The text to wait for.
        public var text: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(text: String, tab: String? = nil) {
            self.text = text
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let text = params.text else { return nil }
            self.text = text
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.text = text
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `waitForURL` action: Wait until the tab's URL matches.
    public struct WaitForURL: ActionParametersType {
        /// `waitForURL`.
        public static let kind: BrowserAction.ActionType = .waitForURL
        /// A URL, or a glob (https://shop.test/orders/*).
        public var pattern: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(pattern: String, tab: String? = nil) {
            self.pattern = pattern
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let pattern = params.pattern else { return nil }
            self.pattern = pattern
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.pattern = pattern
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `waitForNavigation` action: Wait until the tab's next navigation has loaded.
    public struct WaitForNavigation: ActionParametersType {
        /// `waitForNavigation`.
        public static let kind: BrowserAction.ActionType = .waitForNavigation
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `screenshot` action: Take a picture of the active tab: the viewport, or the whole page.
    public struct Screenshot: ActionParametersType {
        /// `screenshot`.
        public static let kind: BrowserAction.ActionType = .screenshot
        /// The whole scrollable page. Default false.
        public var fullPage: Bool?
        /// The image format. Default png.
        public var format: String?
        /// For jpeg and webp: 0 to 100.
        public var quality: Int?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(fullPage: Bool? = nil, format: String? = nil, quality: Int? = nil, tab: String? = nil) {
            self.fullPage = fullPage
            self.format = format
            self.quality = quality
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.fullPage = params.fullPage
            self.format = params.format
            self.quality = params.quality
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.fullPage = fullPage
            params.format = format
            params.quality = quality
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `snapshot` action: Read the page as an accessibility tree with element refs (like e12).
    public struct Snapshot: ActionParametersType {
        /// `snapshot`.
        public static let kind: BrowserAction.ActionType = .snapshot
        /// Only elements one can act on (links, buttons, fields). Default false.
        public var interactiveOnly: Bool?
        /// Leave out what lies deeper.
        public var maxDepth: Int?
        /// Only the subtree of this element.
        public var root: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(interactiveOnly: Bool? = nil, maxDepth: Int? = nil, root: String? = nil, tab: String? = nil) {
            self.interactiveOnly = interactiveOnly
            self.maxDepth = maxDepth
            self.root = root
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.interactiveOnly = params.interactiveOnly
            self.maxDepth = params.maxDepth
            self.root = params.root
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.interactiveOnly = interactiveOnly
            params.maxDepth = maxDepth
            params.root = root
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `pageContent` action: Everything extracted from the page's HTML: links, forms, headings, images, meta, main text.
    public struct PageContent: ActionParametersType {
        /// `pageContent`.
        public static let kind: BrowserAction.ActionType = .pageContent
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `pageText` action: The page's main text, a part at a time (for long articles).
    public struct PageText: ActionParametersType {
        /// `pageText`.
        public static let kind: BrowserAction.ActionType = .pageText
        /// Which part, from 1. Default 1.
        public var page: Int?
        /// Tokens per part. Default 2000.
        public var tokens: Int?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(page: Int? = nil, tokens: Int? = nil, tab: String? = nil) {
            self.page = page
            self.tokens = tokens
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.page = params.page
            self.tokens = params.tokens
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.page = page
            params.tokens = tokens
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `setViewport` action: Resize the tab's viewport (CSS pixels).
    public struct SetViewport: ActionParametersType {
        /// `setViewport`.
        public static let kind: BrowserAction.ActionType = .setViewport
        /// Width.
        public var width: Int
        /// Height.
        public var height: Int
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(width: Int, height: Int, tab: String? = nil) {
            self.width = width
            self.height = height
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let width = params.width else { return nil }
            guard let height = params.height else { return nil }
            self.width = width
            self.height = height
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.width = width
            params.height = height
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `handleDialog` action: Answer the open JavaScript dialog (alert, confirm, prompt, beforeunload).
    public struct HandleDialog: ActionParametersType {
        /// `handleDialog`.
        public static let kind: BrowserAction.ActionType = .handleDialog
        /// Accept (OK) or dismiss (Cancel).
        public var accept: Bool
        /// For a prompt: the text to answer.
        public var promptText: String?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(accept: Bool, promptText: String? = nil, tab: String? = nil) {
            self.accept = accept
            self.promptText = promptText
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let accept = params.accept else { return nil }
            self.accept = accept
            self.promptText = params.promptText
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.accept = accept
            params.promptText = promptText
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `openTab` action: Open a tab (at a URL, or blank) and make it the active one, or your own.
    public struct OpenTab: ActionParametersType {
        /// `openTab`.
        public static let kind: BrowserAction.ActionType = .openTab
        /// The URL to open.
        public var url: String?
        /// Make it your own tab, held by you: your later actions without a tab go there, and the active tab stays as it is. Default false.
        public var own: Bool?
        /// For your own tab: what it is for, shown to people beside it ("invoices").
        public var purpose: String?

        /// The parameters, in the order declared.
        public init(url: String? = nil, own: Bool? = nil, purpose: String? = nil) {
            self.url = url
            self.own = own
            self.purpose = purpose
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.url = params.url
            self.own = params.own
            self.purpose = params.purpose
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.url = url
            params.own = own
            params.purpose = purpose
            return params
        }
    }

    /// The parameters of a `switchTab` action: Make another tab the active one.
    public struct SwitchTab: ActionParametersType {
        /// `switchTab`.
        public static let kind: BrowserAction.ActionType = .switchTab
        /// The tab's id.
        public var tab: String

        /// The parameters, in the order declared.
        public init(tab: String) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let tab = params.tab else { return nil }
            self.tab = tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `closeTab` action: Close a tab (your own by default, else the active one).
    public struct CloseTab: ActionParametersType {
        /// `closeTab`.
        public static let kind: BrowserAction.ActionType = .closeTab
        /// The tab's id. Default your own tab, else the active one.
        public var tab: String?

        /// The parameters, in the order declared.
        public init(tab: String? = nil) {
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `mouse` action: Mouse input at a point of the viewport (CSS pixels).
    public struct Mouse: ActionParametersType {
        /// `mouse`.
        public static let kind: BrowserAction.ActionType = .mouse
        /// What the mouse does.
        public var event: String
        /// From the viewport's left edge.
        public var x: Double
        /// From the viewport's top edge.
        public var y: Double
        /// Default left.
        public var button: String?
        /// For down and up: 2 for the second click of a double click. Default 1.
        public var clickCount: Int?
        /// Keys held: Alt, Control, Meta, Shift.
        public var modifiers: [String]?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(event: String, x: Double, y: Double, button: String? = nil, clickCount: Int? = nil, modifiers: [String]? = nil, tab: String? = nil) {
            self.event = event
            self.x = x
            self.y = y
            self.button = button
            self.clickCount = clickCount
            self.modifiers = modifiers
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let event = params.event else { return nil }
            guard let x = params.x else { return nil }
            guard let y = params.y else { return nil }
            self.event = event
            self.x = x
            self.y = y
            self.button = params.button
            self.clickCount = params.clickCount
            self.modifiers = params.modifiers
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.event = event
            params.x = x
            params.y = y
            params.button = button
            params.clickCount = clickCount
            params.modifiers = modifiers
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `wheel` action: Wheel input at a point of the viewport, scrolling by a delta.
    public struct Wheel: ActionParametersType {
        /// `wheel`.
        public static let kind: BrowserAction.ActionType = .wheel
        /// From the viewport's left edge. Default 0.
        public var x: Double?
        /// From the viewport's top edge. Default 0.
        public var y: Double?
        /// Pixels to scroll right.
        public var deltaX: Double?
        /// Pixels to scroll down.
        public var deltaY: Double?
        /// Keys held: Alt, Control, Meta, Shift.
        public var modifiers: [String]?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(x: Double? = nil, y: Double? = nil, deltaX: Double? = nil, deltaY: Double? = nil, modifiers: [String]? = nil, tab: String? = nil) {
            self.x = x
            self.y = y
            self.deltaX = deltaX
            self.deltaY = deltaY
            self.modifiers = modifiers
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            self.x = params.x
            self.y = params.y
            self.deltaX = params.deltaX
            self.deltaY = params.deltaY
            self.modifiers = params.modifiers
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.x = x
            params.y = y
            params.deltaX = deltaX
            params.deltaY = deltaY
            params.modifiers = modifiers
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `key` action: Key input: press a key or combination, or hold one down or let it go.
    public struct Key: ActionParametersType {
        /// `key`.
        public static let kind: BrowserAction.ActionType = .key
        /// Default press.
        public var event: String?
        /// A key (a, Enter), or for press a combination (Control+A).
        public var key: String
        /// Keys held: Alt, Control, Meta, Shift.
        public var modifiers: [String]?
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(event: String? = nil, key: String, modifiers: [String]? = nil, tab: String? = nil) {
            self.event = event
            self.key = key
            self.modifiers = modifiers
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let key = params.key else { return nil }
            self.event = params.event
            self.key = key
            self.modifiers = params.modifiers
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.event = event
            params.key = key
            params.modifiers = modifiers
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `insertText` action: Text inserted at the cursor, as if pasted or composed.
    public struct InsertText: ActionParametersType {
        /// `insertText`.
        public static let kind: BrowserAction.ActionType = .insertText
        /// The text.
        public var text: String
        /// A tab id (default: your own tab, else the active one).
        public var tab: String?

        /// The parameters, in the order declared.
        public init(text: String, tab: String? = nil) {
            self.text = text
            self.tab = tab
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let text = params.text else { return nil }
            self.text = text
            self.tab = params.tab
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.text = text
            params.tab = tab
            return params
        }
    }

    /// The parameters of a `setStorageState` action: Put cookies and local storage into the browser (a saved sign-in).
    public struct SetStorageState: ActionParametersType {
        /// `setStorageState`.
        public static let kind: BrowserAction.ActionType = .setStorageState
        /// Cookies and each origin's local storage.
        public var storageState: StorageState

        /// The parameters, in the order declared.
        public init(storageState: StorageState) {
            self.storageState = storageState
        }

        /// Reads them from an action's parameters; nil when a required one is missing.
        public init?(_ params: ActionParams) {
            guard let storageState = params.storageState else { return nil }
            self.storageState = storageState
        }

        /// Them as an action's parameters.
        public var params: ActionParams {
            var params = ActionParams()
            params.storageState = storageState
            return params
        }
    }
}
