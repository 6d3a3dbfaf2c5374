@testable import LiveView
import Testing

@Suite struct LiveViewAccessTests {
    @Test func tokensGrantWatchOrControlAndCanBeRevoked() throws {
        let access = LiveViewAccess()
        let watch = try #require(access.token(for: .watch))
        let control = try #require(access.token(for: .control))
        #expect(watch.count == 64 && control.count == 64 && watch != control)
        #expect(access.grant(for: watch) == .watch)
        #expect(access.grant(for: control) == .control)
        #expect(access.grant(for: nil) == nil)
        #expect(access.grant(for: "") == nil)
        #expect(access.grant(for: String(control.dropLast())) == nil)
        #expect(access.grant(for: control + "0") == nil)
        access.revoke(.control)
        #expect(access.grant(for: control) == nil)
        #expect(access.token(for: .control) == nil)
        let renewed = access.renew(.control)
        #expect(renewed != control && access.grant(for: renewed) == .control)
    }

    @Test func everyTokenIsNew() {
        #expect(Set((0..<100).map { _ in LiveViewAccess.newToken() }).count == 100)
    }

    @Test func comparisonIsExactWhateverTheLengths() {
        #expect(LiveViewAccess.constantTimeEquals("abc", "abc"))
        #expect(!LiveViewAccess.constantTimeEquals("abc", "abd"))
        #expect(!LiveViewAccess.constantTimeEquals("abc", "abcd"))
        #expect(!LiveViewAccess.constantTimeEquals("", "a"))
        #expect(LiveViewAccess.constantTimeEquals("", ""))
    }

    /// DNS rebinding: a name that resolves to 127.0.0.1 still names another site in `Host`.
    @Test func hostMustNameThisServer() {
        for host in ["127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123"] {
            #expect(LiveViewAccess.hostAllowed(host, port: 8123, listenHost: "127.0.0.1"), "\(host)")
        }
        for host in [nil, "evil.example:8123", "127.0.0.1:9999", "127.0.0.1", "127.0.0.1.evil.example:8123", "localhost:8123@evil"] {
            #expect(!LiveViewAccess.hostAllowed(host, port: 8123, listenHost: "127.0.0.1"), "\(host ?? "nil")")
        }
        #expect(LiveViewAccess.hostAllowed("10.0.0.5:8123", port: 8123, listenHost: "10.0.0.5"))
        #expect(!LiveViewAccess.hostAllowed("0.0.0.0:8123", port: 8123, listenHost: "0.0.0.0"))
    }

    @Test func originMustBeThisServerOrAbsent() {
        #expect(LiveViewAccess.originAllowed(nil, port: 8123, listenHost: "127.0.0.1"))
        #expect(LiveViewAccess.originAllowed("http://127.0.0.1:8123", port: 8123, listenHost: "127.0.0.1"))
        #expect(LiveViewAccess.originAllowed("http://localhost:8123", port: 8123, listenHost: "127.0.0.1"))
        for origin in ["https://evil.example", "http://127.0.0.1:9999", "null", "http://evil.example:8123", "file://"] {
            #expect(!LiveViewAccess.originAllowed(origin, port: 8123, listenHost: "127.0.0.1"), "\(origin)")
        }
    }
}
