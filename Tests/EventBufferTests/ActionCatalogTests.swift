@testable import EventBuffer
import Foundation
import Testing

/// The declarations are the one place each action kind is described: these tests hold them to it.
@Suite struct ActionCatalogTests {
    /// Every kind is declared once, and every field of ``ActionParams`` belongs to a declared kind
    /// (a field no declaration names could be sent but never checked).
    @Test func everyKindAndParameterIsDeclaredOnce() {
        let kinds = ActionCatalog.declarations.map(\.kind)
        #expect(Set(kinds).count == kinds.count)
        let fields = Set(Mirror(reflecting: ActionParams()).children.compactMap(\.label))
        let declared = Set(ActionCatalog.declarations.flatMap { $0.parameters.map(\.name) })
        #expect(fields == declared, "undeclared: \(fields.subtracting(declared)); not fields: \(declared.subtracting(fields))")
        for declaration in ActionCatalog.declarations {
            #expect(declaration.kind.declaration == declaration)
            let names = declaration.parameters.map(\.name)
            #expect(Set(names).count == names.count, "\(declaration.kind)")
            for group in declaration.oneOf { #expect(Set(group).isSubset(of: names), "\(declaration.kind)") }
            #expect(declaration.summary.hasSuffix("."), "\(declaration.kind)")
        }
    }

    /// A person's input door admits the raw input kinds and the live view's address bar, history
    /// buttons and tab strip, and nothing else; the agent tools never take raw input; JavaScript
    /// passes only a door that allows it.
    @Test func eachDoorAdmitsWhatTheDeclarationsSay() {
        let rawInput: Set<BrowserAction.ActionType> = [.mouse, .wheel, .key, .insertText]
        let personInput = rawInput.union([.navigate, .back, .forward, .reload, .switchTab])
        for declaration in ActionCatalog.declarations {
            let person = declaration.admits(.personInput)
            #expect((person == nil) == personInput.contains(declaration.kind), "\(declaration.kind)")
            if rawInput.contains(declaration.kind) {
                #expect(declaration.admits(.agentTools(allowJavaScript: true))?.reason == .notThroughThisDoor)
            } else if !personInput.contains(declaration.kind) {
                #expect(person?.reason == .notThroughThisDoor)
                #expect(person?.message == "a \(declaration.kind) action cannot be sent through a person's input")
            }
            #expect(declaration.admits(.swiftAPI) == nil, "Swift code may run every kind")
        }
        let evaluate = BrowserAction(.evaluate, ActionParams(script: "1"), source: .agent("a"))
        #expect(ActionCatalog.admit(evaluate, through: .agentTools(allowJavaScript: false))?.reason == .javaScriptNotAllowed)
        #expect(ActionCatalog.admit(evaluate, through: .agentTools(allowJavaScript: true)) == nil)
        #expect(ActionCatalog.admit(evaluate, through: .swiftAPI) == nil)
    }

    /// Parameters are checked against the declaration: required ones, one of a group, foreign ones,
    /// allowed values; each refusal names the kind and the parameter.
    @Test func parametersAreCheckedAgainstTheDeclaration() {
        func refusal(_ type: BrowserAction.ActionType, _ params: ActionParams) -> String? {
            ActionCatalog.admit(BrowserAction(type, params, source: .system), through: .swiftAPI)?.message
        }
        #expect(refusal("teleport", ActionParams()) == "unknown action type \"teleport\"")
        #expect(refusal(.navigate, ActionParams()) == "a navigate action needs url in its params")
        #expect(refusal(.navigate, ActionParams(url: "https://a.test/")) == nil)
        #expect(refusal(.navigate, ActionParams(url: "https://a.test/", waitUntil: "soon"))
                == "waitUntil of a navigate action is load, DOMContentLoaded or networkIdle, not soon")
        #expect(refusal(.click, ActionParams(url: "https://a.test/", target: "#a")) == "a click action takes target, clickCount, tab, not url")
        #expect(refusal(.back, ActionParams(target: "#a")) == "a back action takes tab, not target")
        #expect(refusal(.setStorageState, ActionParams(target: "#a", storageState: StorageState(cookies: [], origins: [])))
                == "a setStorageState action takes storageState, not target", "an action on the whole browser names no tab")
        #expect(refusal(.scroll, ActionParams()) == "a scroll action needs target or deltaX or deltaY in its params")
        #expect(refusal(.scroll, ActionParams(deltaY: 100)) == nil)
        #expect(refusal(.mouse, ActionParams(event: "wiggle", x: 1, y: 1))
                == "event of a mouse action is move, down, up, click or doubleClick, not wiggle")
        #expect(refusal(.fill, ActionParams(target: "#a")) == "a fill action needs value in its params")
        #expect(refusal(.setStorageState, ActionParams(storageState: StorageState())) == nil)
    }

    /// `redacted(typedTextIsSafe:)` masks `value`, `text` and `key`: exactly the secret string
    /// parameters the declarations name (a new one must be masked there too).
    @Test func theSecretParametersAreTheOnesRedactionMasks() {
        let secretStrings = Set(ActionCatalog.declarations.flatMap { $0.parameters.filter { $0.secret && $0.type == .string }.map(\.name) })
        #expect(secretStrings == ["value", "text", "key"])
        let typing = Set(ActionCatalog.declarations.filter { $0.kind.carriesTypedText }.map(\.kind))
        #expect(typing == [.fill, .type, .key, .insertText])
    }

    /// A storage state is never recorded with its values, whoever sends it.
    @Test func aStorageStateIsRecordedWithoutItsValues() {
        let state = StorageState(cookies: [.init(name: "sessionid", value: "s3cret", domain: "a.test")],
                                 origins: [.init(origin: "https://a.test", localStorage: [.init(name: "token", value: "t0ken")])])
        let action = BrowserAction(.setStorageState, ActionParams(storageState: state), source: .agent("a"))
        for recorded in [action.redacted(), action.redacted(typedTextIsSafe: true)] {
            let json = String(decoding: try! JSONEncoder().encode(recorded), as: UTF8.self)
            #expect(json.contains("sessionid") && json.contains("a.test") && json.contains("token"))
            #expect(!json.contains("s3cret") && !json.contains("t0ken"))
        }
    }

    /// What the policies say of reads and of actions that change the page.
    @Test func policiesOfReadsAndPageActions() throws {
        for kind: BrowserAction.ActionType in [.snapshot, .screenshot, .pageText, .pageContent] {
            let policy = try #require(kind.declaration).policy
            #expect(!policy.needsControl && !policy.queued && !policy.changesPage, "\(kind)")
        }
        for kind: BrowserAction.ActionType in [.navigate, .click, .fill, .type, .press, .mouse, .key, .evaluate] {
            #expect(try #require(kind.declaration).policy.changesPage, "\(kind)")
            #expect(try #require(kind.declaration).policy.needsControl, "\(kind)")
        }
        #expect(BrowserAction.ActionType.handleDialog.declaration?.policy.runsWithDialogOpen == true)
        #expect(BrowserAction.ActionType.openTab.declaration?.policy.needsPage == false)
        #expect(BrowserAction.ActionType.evaluate.declaration?.policy.needsJavaScript == true)
    }
}

/// `Documentation/Actions.md` is made from the declarations; set `UPDATE_ACTION_REFERENCE=1` to write it
/// again after changing one.
@Suite struct ActionReferenceTests {
    /// `generated` is what the file at `path` (from the repository's root) holds; with
    /// `UPDATE_ACTION_REFERENCE=1`, it is written there first.
    func check(_ path: String, is generated: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(path)
        if ProcessInfo.processInfo.environment["UPDATE_ACTION_REFERENCE"] == "1" {
            try generated.write(to: url, atomically: true, encoding: .utf8)
        }
        let onDisk = try String(contentsOf: url, encoding: .utf8)
        #expect(onDisk == generated, "\(path) is out of date: run UPDATE_ACTION_REFERENCE=1 swift test --filter ActionReferenceTests")
    }

    @Test func theReferenceIsTheDeclarations() throws {
        try check("Documentation/Actions.md", is: ActionCatalog.markdownReference)
    }

    @Test func theTypedParametersAreTheDeclarations() throws {
        try check("Sources/EventBuffer/ActionParameters.swift", is: ActionCatalog.typedParametersSource)
    }

    @Test func thePublishedActionSchemaIsTheDeclarations() throws {
        try check("Documentation/schemas/action.schema.json", is: ActionCatalog.jsonSchema)
    }
}

/// Each kind's typed parameters (`ActionParameters`, made from the declarations).
@Suite struct TypedParameterTests {
    @Test func typedParametersMakeAndReadActions() {
        let click = BrowserAction(ActionParameters.Click(target: "#go", clickCount: 2), source: .agent("a"))
        #expect(click.type == .click && click.params.target == "#go" && click.params.clickCount == 2)
        #expect(click.parameters(as: ActionParameters.Click.self) == ActionParameters.Click(target: "#go", clickCount: 2))
        #expect(click.parameters(as: ActionParameters.Hover.self) == nil, "another kind's parameters")
        let mouse = BrowserAction(.mouse, ActionParams(event: "click", x: 1), source: .human("p"))
        #expect(mouse.parameters(as: ActionParameters.Mouse.self) == nil, "y is required")
        let typed = ActionParameters.TypeText(text: "hello")
        #expect(BrowserAction(typed, source: .agent("a")).type == .type)
    }

    /// Every kind has its typed parameters, with one property per declared parameter: a required one
    /// is not optional (an action without it does not read), an optional one is.
    @Test func everyKindHasItsTypedParameters() {
        let types: [any ActionParametersType.Type] = [
            ActionParameters.Navigate.self, ActionParameters.Back.self, ActionParameters.Forward.self, ActionParameters.Reload.self,
            ActionParameters.Click.self, ActionParameters.Hover.self, ActionParameters.Fill.self, ActionParameters.TypeText.self,
            ActionParameters.Press.self, ActionParameters.SelectOption.self, ActionParameters.Check.self, ActionParameters.Uncheck.self,
            ActionParameters.Scroll.self, ActionParameters.Evaluate.self, ActionParameters.WaitForSelector.self,
            ActionParameters.WaitForText.self, ActionParameters.WaitForURL.self, ActionParameters.WaitForNavigation.self,
            ActionParameters.Screenshot.self, ActionParameters.Snapshot.self, ActionParameters.PageContent.self,
            ActionParameters.PageText.self, ActionParameters.SetViewport.self, ActionParameters.HandleDialog.self,
            ActionParameters.OpenTab.self, ActionParameters.SwitchTab.self, ActionParameters.CloseTab.self, ActionParameters.Mouse.self,
            ActionParameters.Wheel.self, ActionParameters.Key.self, ActionParameters.InsertText.self, ActionParameters.SetStorageState.self,
        ]
        #expect(Set(types.map { $0.kind }) == Set(ActionCatalog.declarations.map(\.kind)))
        let sample = ActionParams(url: "u", target: "t", value: "v", values: ["a"], text: "x", key: "k", script: "s", state: "visible",
                                  waitUntil: "load", pattern: "p", event: "move", x: 1, y: 2, deltaX: 3, deltaY: 4, button: "left",
                                  clickCount: 1, modifiers: [], accept: true, promptText: "p", tab: "T", own: true, purpose: "p", width: 5, height: 6,
                                  fullPage: true, format: "png", quality: 1, interactiveOnly: true, maxDepth: 1, root: "r", page: 1,
                                  tokens: 1, storageState: StorageState(cookies: [], origins: []))
        for type in types {
            guard let declaration = type.kind.declaration, let read = type.init(sample) else {
                Issue.record("\(type.kind) does not read a full set of parameters")
                continue
            }
            let properties = Mirror(reflecting: read).children.compactMap { child in child.label.map { ($0, child.value) } }
            #expect(properties.map(\.0) == declaration.parameters.map(\.name), "\(type.kind)")
            for (name, value) in properties {
                let optional = Mirror(reflecting: value).displayStyle == .optional
                #expect(optional == !(declaration.parameter(name)?.required ?? false), "\(type.kind).\(name)")
            }
            #expect(read.params.givenValues.keys.sorted() == declaration.parameters.map(\.name).sorted(), "\(type.kind) gives back what it read")
        }
    }
}
