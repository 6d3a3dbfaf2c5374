import CDPTransport
import EventBuffer
import Foundation
@testable import SharedSession
import Testing

@Suite struct BrowserStateTests {
    func event(_ kind: BrowserEvent.Kind, _ payload: BrowserEvent.Payload = .none, target: String? = "T1") -> BrowserEvent {
        BrowserEvent(sequence: 0, timestamp: Date(timeIntervalSince1970: 1), kind: kind, cause: .page, target: target, payload: payload)
    }

    @Test func followsNavigationLoadTitleAndHistory() {
        var state = BrowserState(sessionId: "s", activeTab: "T1")
        state.apply(event(.navigation, .navigation(NavigationInfo(url: "https://a.test/", canGoBack: true, canGoForward: false))))
        #expect(state.url == "https://a.test/" && state.loading && state.canGoBack && !state.canGoForward)
        #expect(state.navigationSucceeded == true && state.finalURL == "https://a.test/")
        state.apply(event(.titleChanged, .page(PageInfo(title: "A"))))
        state.apply(event(.pageLoaded, .page(PageInfo(url: "https://a.test/"))))
        #expect(!state.loading && state.title == "A")
        // An iframe navigation does not move the page.
        state.apply(event(.navigation, .navigation(NavigationInfo(url: "https://ads.test/", isMainFrame: false))))
        #expect(state.url == "https://a.test/")
        // Another tab's navigation neither.
        state.apply(event(.navigation, .navigation(NavigationInfo(url: "https://b.test/")), target: "T2"))
        #expect(state.url == "https://a.test/")
    }

    @Test func recordsFailuresErrorsDialogsAndRequests() {
        var state = BrowserState(sessionId: "s", activeTab: "T1")
        state.apply(event(.navigation, .navigation(NavigationInfo(url: "http://nowhere.test/", errorText: "net::ERR_NAME_NOT_RESOLVED"))))
        #expect(state.navigationSucceeded == false && state.navigationError == "net::ERR_NAME_NOT_RESOLVED" && !state.loading)
        state.apply(event(.console, .console(ConsoleInfo(level: "warning", text: "meh"))))
        state.apply(event(.console, .console(ConsoleInfo(level: "error", text: "bad"))))
        #expect(state.consoleErrorCount == 1 && state.lastError == "bad")
        state.apply(event(.pageError, .pageError(PageErrorInfo(message: "boom"))))
        #expect(state.lastError == "boom")
        state.apply(event(.dialogOpened, .dialog(DialogInfo(type: "alert", message: "hi"))))
        #expect(state.openDialog?.message == "hi")
        state.apply(event(.dialogClosed, .dialog(DialogInfo(type: "alert", message: "hi", accepted: true))))
        #expect(state.openDialog == nil)
        state.apply(event(.request, .request(RequestInfo(id: "1", url: "u"))))
        state.apply(event(.request, .request(RequestInfo(id: "2", url: "u"))))
        state.apply(event(.response, .request(RequestInfo(id: "1", url: "u", status: 200))))
        #expect(state.pendingRequests == 1)
        state.apply(event(.requestFailed, .request(RequestInfo(id: "2", url: "u"))))
        state.apply(event(.requestFailed, .request(RequestInfo(id: "3", url: "u"))))
        #expect(state.pendingRequests == 0)
    }

    @Test func switchingTabsAndRebuildingFromALog() {
        let log = [
            event(.tabActivated, .page(PageInfo(url: "about:blank")), target: "T1"),
            event(.navigation, .navigation(NavigationInfo(url: "https://a.test/")), target: "T1"),
            event(.pageLoaded, target: "T1"),
            event(.tabActivated, .page(PageInfo(url: "https://b.test/", title: "B")), target: "T2"),
        ]
        let rebuilt = BrowserState(sessionId: "s", replaying: log)
        #expect(rebuilt.activeTab == "T2" && rebuilt.url == "https://b.test/" && rebuilt.title == "B")
        var live = BrowserState(sessionId: "s")
        for e in log { live.apply(e) }
        #expect(live == rebuilt)
    }
}

@Suite struct TargetsAndPatternsTests {
    @Test func elementTargetsParse() {
        #expect(ElementTarget("#login") == .css("#login"))
        #expect(ElementTarget("css=a > b") == .css("a > b"))
        #expect(ElementTarget("text=Sign in") == .text("Sign in"))
        #expect(ElementTarget("ref=e12") == .ref("e12"))
        #expect(ElementTarget("e12") == .ref("e12"))   // as snapshots print refs
        #expect(ElementTarget("e12@3") == .ref("e12@3"))   // the older form
        #expect(ElementTarget("e@3") == .css("e@3") && ElementTarget("em") == .css("em") && ElementTarget("e1x") == .css("e1x")
                && ElementTarget("e12@") == .css("e12@") && ElementTarget("h1") == .css("h1"))
        let literal: ElementTarget = "text=\"Exact\""
        #expect(literal.kind == .text && literal.value == "\"Exact\"")
        #expect(literal.description == "text=\"Exact\"")
    }

    @Test func urlPatterns() {
        #expect(Navigation.matches("https://a.test/x", pattern: "https://a.test/x"))
        #expect(!Navigation.matches("https://a.test/x/y", pattern: "https://a.test/*"))
        #expect(Navigation.matches("https://a.test/x/y", pattern: "https://a.test/**"))
        #expect(Navigation.matches("http://127.0.0.1:5000/projects/12", pattern: "**/projects/*"))
        #expect(!Navigation.matches("http://127.0.0.1:5000/projects/new.html", pattern: "**/dashboard"))
        #expect(Navigation.matches("https://a.test/a+b?q=(1)", pattern: "**/a+b?q=(1)"))
    }

    @Test func keyNames() {
        #expect(KeyDefinition.lookup("Enter")?.keyCode == 13)
        #expect(KeyDefinition.lookup("a")?.code == "KeyA")
        #expect(KeyDefinition.lookup("7")?.code == "Digit7")
        #expect(KeyDefinition.lookup("F5")?.keyCode == 116)
        #expect(KeyDefinition.lookup("NoSuchKey") == nil)
    }
}

@Suite struct RedactionTests {
    @Test func secretQueryValuesAreMasked() {
        #expect(Redaction.url("https://a.test/verify?user=ada&password=hunter2&otp=123456#top")
                == "https://a.test/verify?user=ada&password=***&otp=***#top")
        #expect(Redaction.url("https://a.test/cb?code=xyz&state=1&access_token=t&API_KEY=k&q=")
                == "https://a.test/cb?code=***&state=1&access_token=***&API_KEY=***&q=")
        #expect(Redaction.url("https://a.test/search?q=passport") == "https://a.test/search?q=passport")
        #expect(Redaction.url("https://a.test/p") == "https://a.test/p")
    }

    @Test func devToolsURLsBecomeTheBrowserConnection() {
        let url = "ws://127.0.0.1:41234/devtools/browser/0f2c9a1e-4b8e-4c1d-9f4e-5d6a7b8c9d0e"
        #expect(Redaction.text("the connection to \(url) closed (1006)") == "the connection to the browser connection closed (1006)")
        #expect(Redaction.text("cannot open \(url): refused, and wss://h:1/devtools/page/AB, x")
                == "cannot open the browser connection: refused, and the browser connection, x")
        #expect(Redaction.text("see ws://chat.example/socket?room=1") == "see ws://chat.example/socket?room=1")
        #expect(Redaction.payload(.message("lost \(url)")) == .message("lost the browser connection"))
        let error = SessionError.from(CDPError(.connectionClosed, "closed \(url)"), url: url)
        #expect(!error.message.contains("/devtools/"))
        #expect(error.url == "the browser connection")
    }
}

@Suite struct ElementTargetEncodingTests {
    @Test func encodedTargetsParseBack() {
        for target: ElementTarget in [.css("#login"), .css("text=odd"), .css("e12@3"), .css("e12"), .css("ref=x"), .text("Sign in"), .ref("e4")] {
            #expect(ElementTarget(target.encoded) == target, "\(target.encoded)")
        }
    }
}
