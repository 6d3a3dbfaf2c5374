import CDPTransport
import Coordination
import EventBuffer
import Foundation
import LiveView
import SharedSession
import TestSupport
import Testing
import WebSockets

extension Chromium {
/// A person's DevTools through the live view: off unless asked for, only with the control token, and
/// then full control of the tab, recorded as a span on the timeline.
@Suite(.serialized) struct DevToolsTests {
    /// Connects to the live view's DevTools endpoint as DevTools' own front end would.
    static func connect(_ view: LiveView, path: String, origin: String? = nil) async throws -> (LiveViewClient, WebSocketConnection) {
        let client = LiveViewClient()
        var options = WebSocketConnection.Options()
        options.origin = origin
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: view.port, path: path), options: options, handler: client)
        return (client, connection)
    }

    /// Whether the WebSocket handshake to `path`, with exactly this `Origin`, is refused (a raw
    /// handshake: libwebsockets' client would put `http://` before an origin).
    static func refused(_ view: LiveView, path: String, origin: String? = nil) -> Bool {
        guard let fd = loopbackSocket(port: view.port) else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = webSocketHandshake(path: path, port: view.port, origin: origin).withCString { send(fd, $0, strlen($0), 0) }
        var head = [UInt8](repeating: 0, count: 32)
        let n = recv(fd, &head, head.count, 0)
        return !(n > 0 && String(decoding: head[..<n], as: UTF8.self).hasPrefix("HTTP/1.1 101"))
    }

    /// Whether the connection ends within 10 s (its messages read and dropped).
    static func ends(_ client: LiveViewClient) async -> Bool {
        let texts = client.texts
        let ended: Bool? = await within(.seconds(10)) {
            for await _ in texts {}
            return true
        }
        return ended == true
    }

    @Test func devToolsAreOffUnlessAskedFor() async throws {
        try await withOwnSession("devtools-off") { session in
            let view = try await session.liveView()
            #expect(view.devToolsURL() == nil)
            let control = try #require(view.access.token(for: .control))
            #expect(Self.refused(view, path: "/devtools/page?token=\(control)"), "no DevTools endpoint unless the option is on")
        }
    }

    @Test func aPersonsDevToolsDriveTheTabPastTurnsAndAreRecorded() async throws {
        try await withOwnSession("devtools-on") { session in
            try await session.navigate(to: dataURL("<title>inspected</title><p>hi</p>"), as: system).get()
            var options = LiveView.Options()
            options.devTools = true
            let view = try await session.liveView(options)
            let url = try #require(view.devToolsURL())
            #expect(url.hasPrefix("devtools://devtools/bundled/inspector.html?ws=127.0.0.1%3A\(view.port)/devtools/page%3Ftoken%3D")
                    || url.hasPrefix("devtools://devtools/bundled/inspector.html?ws=127.0.0.1:\(view.port)/devtools/page%3Ftoken%3D"), "\(url)")
            let control = try #require(view.access.token(for: .control))
            let watch = try #require(view.access.token(for: .watch))
            #expect(Self.refused(view, path: "/devtools/page?token=\(watch)"), "the watch link is not enough")
            #expect(Self.refused(view, path: "/devtools/page"), "no token")
            #expect(Self.refused(view, path: "/devtools/page?token=\(control)", origin: "https://evil.example"), "a foreign page")
            let opened = session.events.subscribe(kinds: [.devToolsOpened, .devToolsClosed])
            #expect(!Self.refused(view, path: "/devtools/page?token=\(control)", origin: "devtools://devtools"), "DevTools' own front end")
            // That one came and went: the timeline has both ends of its span.
            #expect(await firstEvent(opened, .devToolsOpened) != nil)
            #expect(await firstEvent(opened, .devToolsClosed) != nil)

            // An agent holds control: DevTools goes past it, as documented.
            try await session.coordinator.requestControl(for: .agent("busy"))
            let (client, socket) = try await Self.connect(view, path: "/devtools/page?token=\(control)")
            let event = await firstEvent(opened, .devToolsOpened)
            #expect(event?.cause == EventCause(.human("person")))
            #expect(event?.target == session.state.activeTab)
            try socket.send(text: #"{"id":7,"method":"Runtime.evaluate","params":{"expression":"document.title","returnByValue":true}}"#)
            let reply = await client.first(containing: #""id":7"#)
            #expect(reply?.contains("inspected") == true, "\(reply ?? "no reply")")
            #expect(reply?.contains("sessionId") == false, "the tab's own replies carry no session id")
            try socket.send(text: #"{"id":8,"method":"Runtime.enable"}"#)
            try socket.send(text: #"{"id":9,"method":"Runtime.evaluate","params":{"expression":"console.log('from devtools')"}}"#)
            let logged = await client.first(containing: "Runtime.consoleAPICalled", "from devtools")
            #expect(logged != nil && logged?.contains("sessionId") == false)
            try socket.send(text: #"{"id":10,"method":"Runtime.evaluate","sessionId":"someone-else","params":{"expression":"1"}}"#)
            #expect(await client.first(containing: #""id":10"#, "error", "-32001") != nil, "no session beyond the tab's")
            _ = await session.coordinator.releaseControl(for: .agent("busy"))

            // Revoking the control link closes DevTools, and the timeline says so.
            view.revoke(.control)
            #expect(await Self.ends(client), "closed")
            #expect(await firstEvent(opened, .devToolsClosed) != nil)
            #expect(view.devToolsURL() == nil)
        }
    }

    @Test func devToolsOnATabTheSessionDoesNotHaveIsRefused() async throws {
        try await withOwnSession("devtools-no-tab") { session in
            var options = LiveView.Options()
            options.devTools = true
            let view = try await session.liveView(options)
            let control = try #require(view.access.token(for: .control))
            let (client, _) = try await Self.connect(view, path: "/devtools/page/no-such-tab?token=\(control)")
            #expect(await Self.ends(client), "closed at once")
            await #expect(throws: SessionError.self) { _ = try await session.openDevTools(tab: "no-such-tab", for: .human("person")) }
        }
    }
}
}
