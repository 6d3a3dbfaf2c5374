public import Coordination
public import EventBuffer
import Foundation
import SharedBrowserSupport

/// An action an agent may take only after a person approves it.
///
/// Written as text (the MCP server's `--require-approval`):
/// - `submit`: any form submission — a click on a submit control, Enter in a form's field,
///   `requestSubmit()` or `submit()` in a script.
/// - `navigate:HOST`: going to HOST or one of its subdomains (a navigation, a new tab, a click on a
///   link there); `navigate:*` any navigation.
/// - `click:PATTERN`: a click on an element whose accessible name matches PATTERN, ignoring case, `*`
///   standing for any text (`click:Delete*`).
public struct ApprovalRule: Sendable, Hashable, CustomStringConvertible {
    /// What the rule covers.
    public enum Kind: Sendable, Hashable {
        /// Form submissions.
        case submit
        /// Navigations to a host (and its subdomains); `*` for any.
        case navigate(host: String)
        /// Clicks on elements whose accessible name matches a pattern.
        case click(pattern: String)
    }

    /// What the rule covers.
    public let kind: Kind

    /// A rule.
    public init(_ kind: Kind) { self.kind = kind }

    /// Parses `submit`, `navigate:HOST` or `click:PATTERN`.
    /// - Throws: ``SessionError/Code/invalidAction`` for anything else.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "submit" {
            kind = .submit
        } else if trimmed.hasPrefix("navigate:"), trimmed.count > "navigate:".count {
            kind = .navigate(host: String(trimmed.dropFirst("navigate:".count)).lowercased())
        } else if trimmed.hasPrefix("click:"), trimmed.count > "click:".count {
            kind = .click(pattern: String(trimmed.dropFirst("click:".count)))
        } else {
            throw SessionError(.invalidAction, "an approval rule is submit, navigate:HOST or click:PATTERN, not \"\(text)\"")
        }
    }

    /// `submit`, `navigate:HOST`, `click:PATTERN`.
    public var description: String {
        switch kind {
        case .submit: "submit"
        case .navigate(let host): "navigate:\(host)"
        case .click(let pattern): "click:\(pattern)"
        }
    }

    /// Whether `host` is the rule's host or below it.
    func covers(host: String?) -> Bool {
        guard case .navigate(let wanted) = kind, let host = host?.lowercased(), !host.isEmpty else { return false }
        return wanted == "*" || host == wanted || host.hasSuffix("." + wanted)
    }

    /// Whether `name` matches the click pattern (whole name, ignoring case, `*` for any text).
    func covers(name: String) -> Bool {
        guard case .click(let pattern) = kind else { return false }
        let parts = pattern.lowercased().split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(name.lowercased())
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 {
                return part.isEmpty || rest.hasSuffix(part)
            } else if let range = rest.range(of: part) {
                rest = rest[range.upperBound...]
            } else {
                return false
            }
        }
        return rest.isEmpty
    }
}

/// What an approval needs to know of an action: what it reaches and whether it submits.
struct ApprovalSubject: Sendable {
    var spot: ElementSpot?
    /// Where the action goes (a navigation's URL, a link's target).
    var url: String?
    /// The action submits a form.
    var submits = false
    /// The action is a click (named elements are matched).
    var isClick = false
    /// In words: `click button "Create"`.
    var words: String

    /// The first rule that covers the subject.
    func rule(in rules: [ApprovalRule]) -> ApprovalRule? {
        rules.first { rule in
            switch rule.kind {
            case .submit: submits
            case .navigate: rule.covers(host: url.flatMap { URLComponents(string: $0)?.host })
            case .click: isClick && rule.covers(name: spot?.name ?? "")
            }
        }
    }
}

/// An approval waiting for a person.
struct PendingApproval: Sendable {
    var info: ApprovalInfo
    var order: Int
    let answer: OneShot<ApprovalInfo>
}

extension SharedBrowserSession {
    /// The approvals waiting for a person, oldest first.
    public var pendingApprovals: [ApprovalInfo] { approvalsWaiting.values.sorted { $0.order < $1.order }.map(\.info) }

    /// Approves or denies an action waiting for a person's approval: an approved one runs at once; a
    /// denied one fails with ``SessionError/Code/approvalDenied`` and `reason`.
    /// - Throws: ``SessionError/Code/invalidAction`` when no approval `id` waits (answered already, or
    ///   timed out), or `person` is not a person.
    public func answerApproval(_ id: String, approve: Bool, reason: String? = nil, by person: Participant) throws {
        guard person.kind == .human else { throw SessionError(.invalidAction, "only a person approves an action") }
        guard let pending = approvalsWaiting.removeValue(forKey: id) else {
            throw SessionError(.invalidAction, "no approval \(id) is waiting (answered already, or timed out)")
        }
        var info = pending.info
        info.decision = approve ? "approved" : "denied"
        info.decidedBy = EventCause(person).description
        info.reason = reason.flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
        pending.answer.resume(returning: info)
    }

    /// Waits for a person's approval when a rule of ``Options/approvals`` covers an agent's action:
    /// returns the answer (approved), nil when none was needed, or throws (denied, timed out).
    func approval(for action: BrowserAction, _ subject: ApprovalSubject, deadline: Deadline) async throws -> ApprovalInfo? {
        let agent = Participant(action.source)
        guard agent.kind == .agent, let rule = subject.rule(in: options.approvals) else { return nil }
        approvalCounter += 1
        let id = "approval-\(approvalCounter)"
        let info = ApprovalInfo(id: id, agent: EventCause(agent).description, words: subject.words, rule: rule.description,
                                action: action.redacted(), box: subject.spot?.elementBox)
        let answer = OneShot<ApprovalInfo>()
        approvalsWaiting[id] = PendingApproval(info: info, order: approvalCounter, answer: answer)
        let sink = self.sink
        let timer = Task {
            do { try await deadline.sleep() } catch { return }
            var late = info
            late.decision = "timedOut"
            answer.resume(returning: late)
        }
        // The browser going, or the session closing, ends the wait at once: pending work fails fast.
        let ends = events.subscribe(kinds: [.browserCrashed, .disconnected], bufferSize: 4)
        let watcher = Task {
            var reason = "the session closed"
            for await element in ends {
                guard let event = element.event else { continue }
                reason = event.kind == .browserCrashed ? "the browser crashed" : "the connection to the browser was lost"
                break
            }
            guard !Task.isCancelled else { return }
            var gone = info
            gone.decision = "cancelled"
            gone.reason = reason
            answer.resume(returning: gone)
        }
        defer {
            watcher.cancel()
            ends.cancel()
        }
        let decided = await withTaskCancellationHandler {
            await answer.wait {
                sink.emit(.approvalRequested, target: nil, payload: .approval(info), cause: EventCause(agent))
            }
        } onCancel: {
            var cancelled = info
            cancelled.decision = "timedOut"
            answer.resume(returning: cancelled)
        }
        timer.cancel()
        approvalsWaiting[id] = nil
        sink.emit(.approvalAnswered, target: nil, payload: .approval(decided),
                  cause: decided.decidedBy.map { EventCause(Participant(EventCause(parsing: $0))) } ?? .system)
        switch decided.decision {
        case "approved": return decided
        case "denied":
            throw SessionError(.approvalDenied, "\(decided.decidedBy ?? "a person") denied \(subject.words)"
                               + (decided.reason.map { ": \($0)" } ?? " (no reason given)"))
        case "cancelled":
            throw SessionError(decided.reason == "the browser crashed" ? .browserCrashed : .connectionClosed,
                               "\(decided.reason ?? "the session closed") while \(subject.words) waited for approval")
        default:
            throw SessionError(.timeout, "nobody approved \(subject.words) in time (the action's deadline passed while it waited)")
        }
    }
}

extension EventCause {
    /// The cause written as `kind:id` (`human:alice`), or a kind alone; `system` for anything else.
    init(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = Kind(rawValue: parts.first ?? "") ?? .system
        self.init(kind: kind, id: parts.count > 1 ? parts[1] : "")
    }
}
