import Testing
@testable import WebSockets

@Suite struct WebSocketConnectionStateMachineTests {
    @Test func connectsThenSendsThenClosesLocally() {
        var machine = WebSocketConnectionStateMachine()
        #expect(machine.sendRequested() == .reject(WebSocketError(.connectionClosed, "connection is not open yet")))
        #expect(machine.established() == .resumeConnected)
        #expect(machine.sendRequested() == .enqueue)
        #expect(machine.closeRequested(code: 1000, reason: "bye") == .sendCloseFrame(code: 1000, reason: "bye"))
        // Closing twice does nothing more.
        #expect(machine.closeRequested(code: 1000, reason: "again") == .none)
        guard case .reject(let error) = machine.sendRequested() else {
            Issue.record("a closing connection must refuse sends")
            return
        }
        #expect(error.code == .connectionClosed)
        guard case .notifyClosed(let info) = machine.socketClosed(peer: nil) else {
            Issue.record("the close must be reported")
            return
        }
        #expect(info.code == 1000 && info.initiatedLocally)
        #expect(machine.socketClosed(peer: nil) == .none)
    }

    @Test func handshakeFailureFailsTheConnect() {
        var machine = WebSocketConnectionStateMachine()
        guard case .failConnect(let error) = machine.socketClosed(peer: nil, failure: "refused") else {
            Issue.record("a failed handshake must fail the connect")
            return
        }
        #expect(error.code == .connectFailed)
        #expect(error.message.contains("refused"))
    }

    @Test func givingUpWhileConnectingAbortsAndIgnoresALateHandshake() {
        var machine = WebSocketConnectionStateMachine()
        let timeout = WebSocketError(.timeout, "too slow")
        #expect(machine.closeRequested(code: 1006, reason: "timeout", error: timeout) == .abortConnect(timeout))
        #expect(machine.established() == .none)
        #expect(machine.closedError?.code == .timeout)
    }

    @Test func peerCloseIsReportedWithItsCode() {
        var machine = WebSocketConnectionStateMachine()
        _ = machine.established()
        let peer = WebSocketCloseInfo(code: 1001, reason: "going away", initiatedLocally: false)
        #expect(machine.socketClosed(peer: peer) == .notifyClosed(peer))
        #expect(machine.closedError?.closeCode == 1001)
    }

    @Test func droppedSocketIsAbnormalClosure() {
        var machine = WebSocketConnectionStateMachine()
        _ = machine.established()
        guard case .notifyClosed(let info) = machine.socketClosed(peer: nil) else {
            Issue.record("expected a close notification")
            return
        }
        #expect(info.code == 1006)
        #expect(!info.initiatedLocally)
    }
}

@Suite struct WebSocketURLTests {
    @Test func parsesHostPortAndPath() throws {
        let url = try WebSocketURL(parsing: "ws://127.0.0.1:9222/devtools/browser/abc")
        #expect(url.host == "127.0.0.1" && url.port == 9222 && url.path == "/devtools/browser/abc")
        let bare = try WebSocketURL(parsing: "ws://example.test")
        #expect(bare.port == 80 && bare.path == "/")
        let v6 = try WebSocketURL(parsing: "ws://[::1]:8080/x?y=1")
        #expect(v6.host == "::1" && v6.port == 8080 && v6.path == "/x?y=1")
        #expect(v6.description == "ws://[::1]:8080/x?y=1")
        let secure = try WebSocketURL(parsing: "wss://grid.example.test/session/1/se/cdp?token=t#frag")
        #expect(secure.isSecure && secure.port == 443 && secure.path == "/session/1/se/cdp?token=t")
        #expect(secure.authority == "grid.example.test" && secure.description == "wss://grid.example.test:443/session/1/se/cdp?token=t")
        #expect(try WebSocketURL(parsing: "wss://h:8443/").authority == "h:8443")
    }

    @Test(arguments: ["http://127.0.0.1:1/", "wsx://host/", "ws://user:secret@host/", "ws://:80/", "ws://host:0/", "ws://host:99999/", "ws://host:abc/", "ws://[::1/"])
    func refusesWhatItCannotConnectTo(_ text: String) {
        #expect(throws: WebSocketError.self) { try WebSocketURL(parsing: text) }
    }
}
