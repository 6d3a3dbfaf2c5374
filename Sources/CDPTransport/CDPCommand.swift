/// A typed Chrome DevTools Protocol command: its parameters are the stored properties, its result is
/// `Response`. Generated for the modelled domains (`Page.Navigate`, `Runtime.Evaluate`, ...); conform
/// your own types for anything else, or use ``CDPSession/send(method:params:timeout:)``.
public protocol CDPCommand: Encodable, Sendable {
    associatedtype Response: Decodable & Sendable
    /// The protocol method, e.g. `"Page.navigate"`.
    static var method: String { get }
}

/// A typed CDP event's parameters, e.g. `Page.LoadEventFired`.
public protocol CDPEventPayload: Decodable, Sendable {
    /// The protocol method, e.g. `"Page.loadEventFired"`.
    static var method: String { get }
}

/// The result of commands that return nothing.
public struct EmptyResponse: Decodable, Sendable, Equatable {
    /// An empty response.
    public init() {}
    /// Decodes any reply as empty.
    public init(from decoder: any Decoder) throws {}
}

/// A CDP string enumeration that accepts values it does not know.
///
/// Browsers add enum values over time; a closed Swift `enum` would fail to decode the whole message.
/// These are structs over their raw string instead, with the known values as static members:
/// `Page.TransitionType.link`, and `Page.TransitionType(rawValue: "teleport")` for a newer one.
public protocol CDPStringEnum: RawRepresentable, Hashable, Codable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension CDPStringEnum {
    /// The value named by a string literal.
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    /// Decodes the value from its string (one this version does not know included).
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the value as its string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The value's string.
    public var description: String { rawValue }
}
