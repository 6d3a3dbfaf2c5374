/// Someone who can act on the shared browser or cause something in it.
///
/// Agents and humans take turns holding control; `system` is the library itself (recovery, set-up);
/// `page` is the web page acting on its own (timers, scripts). Equality is by kind and id.
public struct Participant: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What kind of participant this is.
    public enum Kind: String, Hashable, Sendable, Codable {
        case agent, human, system, page
    }

    /// What kind of participant this is.
    public var kind: Kind
    /// A stable identifier chosen by the caller (`"collector"`, `"alice"`); empty for system and page.
    public var id: String

    /// A participant of `kind` named `id`.
    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    /// An AI agent with the given id.
    public static func agent(_ id: String) -> Participant { Participant(kind: .agent, id: id) }
    /// A person with the given id.
    public static func human(_ id: String) -> Participant { Participant(kind: .human, id: id) }
    /// The library itself.
    public static let system = Participant(kind: .system, id: "")
    /// The web page acting on its own.
    public static let page = Participant(kind: .page, id: "")

    /// Humans may take control from agents; agents never from humans.
    public var canPreempt: Bool { kind == .human }

    /// `agent:collector`, `human:alice`, `system` or `page`.
    public var description: String { id.isEmpty ? kind.rawValue : "\(kind.rawValue):\(id)" }
}
