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
    public init() {}
    public init(from decoder: any Decoder) throws {}
}
