public import Coordination
public import EventBuffer
public import SharedSession

/// A person watching the shared session from Swift: the event log, the live view's link, and manual
/// control that suspends the agents until the person hands back.
///
/// ```swift
/// let alice = HumanObserver(session: session, person: .human("alice"))
/// print(try await alice.liveViewURL())
/// try await alice.takeManualControl()      // agents now get `notInControl` naming alice
/// try await session.fill("#otp", code, as: alice.person).get()
/// try await alice.handBack()               // the agent gets a brief of what alice did
/// ```
public final class HumanObserver: Sendable {
    /// The session the person watches and helps in.
    public let session: SharedBrowserSession
    /// Who the person is (a human participant).
    public let person: Participant

    /// A person in `session` (`person` must be a human).
    public init(session: SharedBrowserSession, person: Participant = .human("observer")) {
        precondition(person.kind == .human, "a HumanObserver is a person: use Participant.human(_:)")
        self.session = session
        self.person = person
    }

    /// The session's events from now on (or from `sequence`), every kind unless `kinds` says otherwise.
    public func events(kinds: Set<BrowserEvent.Kind>? = nil, from sequence: UInt64? = nil) -> EventSubscription {
        session.events.subscribe(kinds: kinds, bufferSize: 4096, from: sequence)
    }

    /// The live view's link (started on first use): the control link, or the watch link.
    public func liveViewURL(control: Bool = true) async throws -> String {
        let view = try await session.liveView(LiveView.Options(person: person))
        guard let url = control ? view.controlURL : view.watchURL else {
            throw SessionError(.notApplicable, "that live view link was revoked")
        }
        return url
    }

    /// Takes control from whoever holds it: agents are refused (`notInControl`, naming this person) or
    /// wait, until ``handBack()``.
    public func takeManualControl() async throws {
        try await session.coordinator.takeOver(by: person)
    }

    /// Gives control back: to the agent it was taken from, which gets a brief of what changed.
    public func handBack() async throws {
        try await session.coordinator.handBack(by: person)
    }
}

extension LiveView.Options {
    /// Options for a live view whose control link acts as `person`.
    public init(person: Participant) {
        self.init()
        self.person = person
    }
}
