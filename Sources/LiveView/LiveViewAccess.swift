import Foundation
import SharedBrowserSupport

/// Who may open the live view, and from where: two unguessable tokens (one to watch, one to act),
/// compared in constant time and revocable, and the `Host` and `Origin` checks that stop another web
/// page — or a DNS name rebound to 127.0.0.1 — from reaching the server through a person's browser.
public final class LiveViewAccess: Sendable {
    /// What a token allows.
    public enum Grant: String, Sendable, Hashable {
        /// See the screen, the events and who drives.
        case watch
        /// Also take over, send input and hand back.
        case control
    }

    private struct Tokens {
        var watch: String?
        var control: String?
    }
    private let tokens: LockedValue<Tokens>

    /// Access with a new random watch token and control token.
    public init() {
        tokens = LockedValue(Tokens(watch: Self.newToken(), control: Self.newToken()))
    }

    /// 32 random bytes from the system's secure generator, as 64 hex digits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The token that grants `grant`, or nil once revoked.
    public func token(for grant: Grant) -> String? {
        tokens.withLock { grant == .watch ? $0.watch : $0.control }
    }

    /// Revokes a token: it grants nothing from now on (open connections with it are the caller's to
    /// close). ``renew(_:)`` issues a new one.
    public func revoke(_ grant: Grant) {
        tokens.withLock { if grant == .watch { $0.watch = nil } else { $0.control = nil } }
    }

    /// Replaces a token with a new one and returns it; the old one grants nothing.
    @discardableResult
    public func renew(_ grant: Grant) -> String {
        let token = Self.newToken()
        tokens.withLock { if grant == .watch { $0.watch = token } else { $0.control = token } }
        return token
    }

    /// What `presented` grants: control, watch or nothing. Every comparison takes the same time
    /// whatever the token, so timing tells nothing about how much of it matched.
    public func grant(for presented: String?) -> Grant? {
        guard let presented else { return nil }
        let (watch, control) = tokens.withLock { ($0.watch, $0.control) }
        let isControl = control.map { Self.constantTimeEquals(presented, $0) } ?? false
        let isWatch = watch.map { Self.constantTimeEquals(presented, $0) } ?? false
        return isControl ? .control : isWatch ? .watch : nil
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool { SharedBrowserSupport.constantTimeEquals(a, b) }

    /// Whether a request's `Host` names this server: `127.0.0.1`, `localhost` or `[::1]` with its
    /// port, or the address it was explicitly told to listen on. A missing `Host` is refused.
    static func hostAllowed(_ host: String?, port: Int, listenHost: String) -> Bool {
        guard let host = host?.lowercased() else { return false }
        var names: Set<String> = ["127.0.0.1", "localhost", "[::1]"]
        if listenHost != "127.0.0.1" && listenHost != "0.0.0.0" && listenHost != "::" { names.insert(listenHost.lowercased()) }
        return names.contains { host == "\($0):\(port)" }
    }

    /// Whether a request's `Origin` is this server's own (the live view page) or absent (a program,
    /// not a web page). Any other page's origin is refused.
    static func originAllowed(_ origin: String?, port: Int, listenHost: String) -> Bool {
        guard let origin = origin?.lowercased() else { return true }
        return origin.hasPrefix("http://") && hostAllowed(String(origin.dropFirst("http://".count)), port: port, listenHost: listenHost)
    }
}
