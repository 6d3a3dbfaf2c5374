import CDPTransport
import EventBuffer
import Foundation
@testable import SharedSession
import Testing

/// The tab's event mapping, on CDP events recorded from Chromium (`Fixtures/tab-events.jsonl`: a page
/// that logs at every level, one that throws, a same-document navigation, a fetch that fails, a
/// `confirm` dialog).
@Suite struct EventMapperTests {
    static let recorded: [CDPEvent] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tab-events.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let data = Data(line.utf8)
            struct Head: Decodable { var method: String; var sessionId: String? }
            guard let head = try? JSONDecoder().decode(Head.self, from: data) else { return nil }
            return CDPEvent(method: head.method, sessionId: head.sessionId ?? "", raw: data)
        }
    }()

    static let context = TabEventMapper.Context(dialogPolicy: .automatic, humanInControl: false, cause: .agent("reader"))

    /// Every recorded event, in order, with the effects it gave.
    static func mapAll(_ context: TabEventMapper.Context = context) -> (effects: [TabEventMapper.Effect], state: Tab.State) {
        var state = Tab.State()
        var effects: [TabEventMapper.Effect] = []
        for event in recorded { effects += TabEventMapper.map(event, state: &state, context: context) }
        return (effects, state)
    }

    static func emitted(_ effects: [TabEventMapper.Effect]) -> [(BrowserEvent.Kind, BrowserEvent.Payload, EventCause?)] {
        effects.compactMap { if case .emit(let kind, let payload, let cause) = $0 { return (kind, payload, cause) } else { return nil } }
    }

    @Test func theFixtureIsThere() {
        #expect(Self.recorded.count >= 20)
    }

    @Test func navigationsLoadsAndTheDocumentsState() {
        let (effects, state) = Self.mapAll()
        let navigations = Self.emitted(effects).compactMap { kind, payload, _ -> NavigationInfo? in
            if kind == .navigation, case .navigation(let info) = payload { return info } else { return nil }
        }
        #expect(navigations.map(\.url) == ["http://127.0.0.1:8000/console", "http://127.0.0.1:8000/throw"])
        #expect(navigations.allSatisfy { $0.isMainFrame && $0.errorText == nil })
        #expect(effects.filter { $0 == .loaded }.count == 2)
        #expect(effects.contains(.navigatedWithinDocument(url: "http://127.0.0.1:8000/throw#moved", isMainFrame: true)))
        #expect(state.url == "http://127.0.0.1:8000/throw#moved")
        #expect(state.generation == 3, "one per document")
        #expect(state.mainFrameId != nil)
        #expect(state.dialog == nil)
    }

    @Test func consoleMessagesAndPageErrors() {
        let emitted = Self.emitted(Self.mapAll().effects)
        let console = emitted.compactMap { kind, payload, _ -> ConsoleInfo? in
            if case .console(let info) = payload, kind == .console { return info } else { return nil }
        }
        #expect(console.map(\.level).prefix(4) == ["log", "info", "warning", "error"])
        #expect(console.first?.text.hasPrefix("plain log 1") == true)
        #expect(console.first?.location?.contains("/console:") == true)
        let errors = emitted.compactMap { kind, payload, _ -> PageErrorInfo? in
            if case .pageError(let info) = payload, kind == .pageError { return info } else { return nil }
        }
        #expect(errors.count == 1)
        #expect(errors.first?.message.isEmpty == false)
    }

    /// A request's response or failure is credited to whoever caused the request, even when another
    /// cause is current by the time it comes.
    @Test func requestsAreCreditedToWhoeverCausedThem() {
        var state = Tab.State()
        var effects: [TabEventMapper.Effect] = []
        for event in Self.recorded {
            let cause: EventCause = event.method == "Network.requestWillBeSent" ? .agent("fetcher") : .page
            let context = TabEventMapper.Context(dialogPolicy: .automatic, humanInControl: false, cause: cause)
            effects += TabEventMapper.map(event, state: &state, context: context)
        }
        let failed = Self.emitted(effects).filter { $0.0 == .requestFailed }
        #expect(failed.count == 1)
        if let (_, payload, cause) = failed.first, case .request(let info) = payload {
            #expect(info.url == "http://127.0.0.1:1/nothing")
            #expect(info.errorText == "net::ERR_UNSAFE_PORT")
            #expect(cause == .agent("fetcher"))
        }
        let responses = Self.emitted(effects).filter { $0.0 == .response }
        #expect(!responses.isEmpty && responses.allSatisfy { $0.2 == .agent("fetcher") })
    }

    /// The dialog is reported, and answered per the policy: at once when nobody is there to answer,
    /// left for a person who holds control, after the delay of `dismiss(after:)`.
    @Test func dialogsFollowThePolicy() {
        let automatic = Self.mapAll().effects
        #expect(automatic.contains(.answerDialog(accept: false, after: nil)), "a confirm is dismissed, as Playwright does")
        let opened = Self.emitted(automatic).first { $0.0 == .dialogOpened }
        if case .dialog(let info)? = opened?.1 { #expect(info.type == "confirm" && info.message == "Sure?") }
        let closed = Self.emitted(automatic).first { $0.0 == .dialogClosed }
        if case .dialog(let info)? = closed?.1 { #expect(info.type == "confirm" && info.accepted == true) }

        let person = Self.mapAll(.init(dialogPolicy: .automatic, humanInControl: true, cause: .human("alice"))).effects
        #expect(!person.contains { if case .answerDialog = $0 { true } else { false } })
        let leave = Self.mapAll(.init(dialogPolicy: .leaveOpen, humanInControl: false, cause: .page)).effects
        #expect(!leave.contains { if case .answerDialog = $0 { true } else { false } })
        let later = Self.mapAll(.init(dialogPolicy: .dismiss(after: .milliseconds(50)), humanInControl: false, cause: .page)).effects
        #expect(later.contains(.answerDialog(accept: false, after: .milliseconds(50))))
    }

    /// Events it does not read, and events whose parameters do not decode, give nothing.
    @Test func unknownAndMalformedEventsGiveNothing() {
        var state = Tab.State()
        let unknown = CDPEvent(method: "Page.somethingNew", sessionId: "", raw: Data(#"{"method":"Page.somethingNew","params":{}}"#.utf8))
        let malformed = CDPEvent(method: "Page.frameNavigated", sessionId: "", raw: Data(#"{"method":"Page.frameNavigated","params":{"frame":7}}"#.utf8))
        #expect(TabEventMapper.map(unknown, state: &state, context: Self.context).isEmpty)
        #expect(TabEventMapper.map(malformed, state: &state, context: Self.context).isEmpty)
        #expect(state.generation == 1)
    }
}

@Suite struct BrowserEventMapperTests {
    static func event(_ method: String, _ params: String) -> CDPEvent {
        CDPEvent(method: method, sessionId: "", raw: Data(#"{"method":"\#(method)","params":\#(params)}"#.utf8))
    }

    /// A tab the page opened is announced with its opener and adopted; tabs of other types are not
    /// tabs; a closed tab is forgotten; a title a script sets is reported, the URL-as-title is not.
    @Test func tabsOpenedClosedAndRetitled() {
        var state = BrowserEventMapper.State()
        let popup = BrowserEventMapper.map(Self.event("Target.targetCreated",
            #"{"targetInfo":{"targetId":"P","type":"page","title":"","url":"","attached":false,"canAccessOpener":false,"openerId":"O"}}"#),
            state: &state, downloadsDirectory: "/d")
        #expect(popup == [.emit(.targetCreated, .target(TargetInfo(id: "P", url: "", type: "page", openerId: "O")), target: "P"), .adoptPopup("P")])
        let worker = BrowserEventMapper.map(Self.event("Target.targetCreated",
            #"{"targetInfo":{"targetId":"W","type":"service_worker","title":"","url":"","attached":false,"canAccessOpener":false}}"#),
            state: &state, downloadsDirectory: "/d")
        #expect(worker.isEmpty)
        let urlTitle = BrowserEventMapper.map(Self.event("Target.targetInfoChanged",
            #"{"targetInfo":{"targetId":"P","type":"page","title":"127.0.0.1:8000/a","url":"http://127.0.0.1:8000/a","attached":true,"canAccessOpener":false}}"#),
            state: &state, downloadsDirectory: "/d")
        #expect(urlTitle.isEmpty)
        let titled = BrowserEventMapper.map(Self.event("Target.targetInfoChanged",
            #"{"targetInfo":{"targetId":"P","type":"page","title":"Inbox (3)","url":"http://127.0.0.1:8000/a","attached":true,"canAccessOpener":false}}"#),
            state: &state, downloadsDirectory: "/d")
        #expect(titled == [.titleChanged(target: "P", title: "Inbox (3)", url: "http://127.0.0.1:8000/a")])
        let closed = BrowserEventMapper.map(Self.event("Target.targetDestroyed", #"{"targetId":"P"}"#), state: &state, downloadsDirectory: "/d")
        #expect(closed == [.emit(.targetClosed, .target(TargetInfo(id: "P")), target: "P"), .forgetTab("P")])
        #expect(BrowserEventMapper.map(Self.event("Target.targetDestroyed", #"{"targetId":"W"}"#), state: &state, downloadsDirectory: "/d").isEmpty)
    }

    @Test func downloadsFromStartToFinish() {
        var state = BrowserEventMapper.State()
        let begin = BrowserEventMapper.map(Self.event("Browser.downloadWillBegin",
            #"{"frameId":"F","guid":"G","url":"http://a.test/r.csv","suggestedFilename":"r.csv"}"#), state: &state, downloadsDirectory: "/d")
        #expect(begin == [.emit(.downloadStarted, .download(DownloadInfo(id: "G", url: "http://a.test/r.csv", path: "/d/r.csv", state: "inProgress")), target: nil)])
        let done = BrowserEventMapper.map(Self.event("Browser.downloadProgress",
            #"{"guid":"G","totalBytes":10,"receivedBytes":10,"state":"completed"}"#), state: &state, downloadsDirectory: "/d")
        #expect(done == [.emit(.downloadFinished, .download(DownloadInfo(id: "G", url: "http://a.test/r.csv", path: "/d/r.csv",
                                                                          receivedBytes: 10, totalBytes: 10, state: "completed")), target: nil)])
        #expect(state.downloads.isEmpty)
    }
}
