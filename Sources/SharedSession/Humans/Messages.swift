public import Coordination
public import EventBuffer
import Foundation

/// A message a person wrote to the agents.
struct PostedMessage: Sendable {
    var sequence: UInt64
    var from: String
    var text: String
}

extension SharedBrowserSession {
    /// The most messages kept for agents that have not read them yet.
    static let keptMessages = 50
    /// The longest message, in characters.
    public static let maxMessageLength = 2000

    /// Writes a message: from an agent, to the people (the live view shows it); from a person, to the
    /// agents (each agent gets it once, in its next action's result and its next context, as
    /// `Message from human:alice: …`). Either way it is a `message` event (the timeline has it).
    /// - Throws: ``SessionError/Code/invalidAction`` for an empty message or one longer than
    ///   ``maxMessageLength``.
    @discardableResult
    public func say(_ text: String, as participant: Participant) throws -> BrowserEvent {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw SessionError(.invalidAction, "a message needs some text") }
        guard trimmed.count <= Self.maxMessageLength else {
            throw SessionError(.invalidAction, "a message has at most \(Self.maxMessageLength) characters, not \(trimmed.count)")
        }
        let event = sink.emit(.message, target: nil, payload: .message(trimmed), cause: EventCause(participant))
        if participant.kind == .human {
            postedMessages.append(PostedMessage(sequence: event.sequence, from: event.cause.description, text: trimmed))
            if postedMessages.count > Self.keptMessages { postedMessages.removeFirst(postedMessages.count - Self.keptMessages) }
        }
        return event
    }

    /// The people's messages `agent` has not had in a result yet, each once.
    func takeMessagesForResult(_ agent: Participant) -> [String] {
        take(&messagesReadInResult, agent)
    }

    /// The people's messages `agent` has not had in a context yet, each once.
    func takeMessagesForContext(_ agent: Participant?) -> [String] {
        guard let agent else { return [] }
        return take(&messagesReadInContext, agent)
    }

    private func take(_ read: inout [Participant: UInt64], _ agent: Participant) -> [String] {
        guard agent.kind == .agent, let last = postedMessages.last else { return [] }
        let since = read[agent] ?? 0
        read[agent] = last.sequence
        return postedMessages.filter { $0.sequence > since }.map { "Message from \($0.from): \($0.text)" }
    }
}
