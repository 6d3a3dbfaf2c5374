public import Foundation

/// A CDP event as it arrived: its method, the session it came on, and the raw message.
///
/// Decode the parameters with ``decode(_:)`` (typed) or read ``params`` (untyped). Events of methods
/// this library does not model pass through unchanged.
public struct CDPEvent: Sendable, CustomStringConvertible {
    /// The protocol method, e.g. `"Page.loadEventFired"`.
    public let method: String
    /// The session the event came on; `""` for the browser session.
    public let sessionId: String
    /// The whole message as received (`{"method":...,"params":{...},"sessionId":...}`).
    public let raw: Data

    /// An event of `method` on `sessionId`, as received.
    public init(method: String, sessionId: String, raw: Data) {
        self.method = method
        self.sessionId = sessionId
        self.raw = raw
    }

    private struct Envelope<P: Decodable>: Decodable {
        var params: P?
    }

    /// Decodes the parameters as `P`.
    /// - Throws: ``CDPError/Code/invalidResponse`` naming the method when they do not match.
    public func decode<P: Decodable>(_ type: P.Type = P.self) throws -> P {
        do {
            let envelope = try JSONDecoder().decode(Envelope<P>.self, from: raw)
            if let params = envelope.params { return params }
            return try JSONDecoder().decode(P.self, from: Data("{}".utf8))
        } catch {
            throw CDPError(.invalidResponse, "event parameters do not decode as \(P.self): \(error)",
                           method: method, sessionId: sessionId)
        }
    }

    /// The parameters as untyped JSON (`.null` when the event has none or they are not valid JSON).
    public var params: JSONValue { (try? decode(JSONValue.self)) ?? .null }

    /// `Page.loadEventFired @1A2B3C4D`.
    public var description: String { "\(method)\(sessionId.isEmpty ? "" : " @\(sessionId.prefix(8))")" }
}
