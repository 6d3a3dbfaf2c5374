import CDPTransport
import Coordination
import EventBuffer
import Foundation
import SharedSession
import TestSupport

// Waits on events, not polls: each helper checks once, then again only when something that could
// change the answer happened (a control event, a DOM mutation), until a deadline.

/// Waits until the holder of control satisfies `predicate`: checked now, then at each control event.
func holder(of session: SharedBrowserSession, within timeout: Duration = .seconds(5),
            is predicate: @escaping @Sendable (Participant?) -> Bool) async -> Bool {
    let control = session.events.subscribe(kinds: [.control])
    defer { control.cancel() }
    if predicate(await session.coordinator.holder) { return true }
    return await within(timeout) {
        for await _ in control where predicate(await session.coordinator.holder) { return true }
        return false
    } ?? false
}

/// Until `condition` (a JavaScript expression) holds in `page`: checked now, then at each change of
/// its document (a `MutationObserver`), in the page itself.
func pageBecomes(_ page: CDPSession, _ condition: String, within timeout: Duration = .seconds(5)) async -> Bool {
    let wait = try? await page.send(Runtime.Evaluate(expression: whenTrue(condition), returnByValue: true, awaitPromise: true),
                                    timeout: timeout)
    return wait?.result.value?.boolValue == true
}

/// Until `condition` holds in the session's active page, checked the same way. Asked on the page's
/// CDP session, beside the session's actions: an action would queue ahead of the input it waits for.
func sharedPageBecomes(_ session: SharedBrowserSession, _ condition: String, within timeout: Duration = .seconds(5)) async -> Bool {
    await pageBecomes(await session.activePageSession, condition, within: timeout)
}

/// Whether `promise` (a JavaScript expression) resolves to true in the session's active page within
/// `timeout`, asked beside the session's actions.
func sharedPageResolves(_ session: SharedBrowserSession, _ promise: String, within timeout: Duration = .seconds(5)) async -> Bool {
    let page = await session.activePageSession
    let reply = try? await page.send(Runtime.Evaluate(expression: promise, returnByValue: true, awaitPromise: true), timeout: timeout)
    return reply?.result.value?.boolValue == true
}

/// A promise that resolves to true once `condition` holds in the document.
private func whenTrue(_ condition: String) -> String {
    """
    new Promise(resolve => {
      const holds = () => { try { return !!(\(condition)) } catch (e) { return false } };
      if (holds()) return resolve(true);
      const observer = new MutationObserver(() => { if (holds()) { observer.disconnect(); resolve(true) } });
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    })
    """
}

/// Until `condition` holds of the session: checked now, then after each event the session publishes
/// (what the condition reads — its state, its tabs, its coordinator — changes with an event).
func sessionBecomes(_ session: SharedBrowserSession, within timeout: Duration = .seconds(5),
                    _ condition: @escaping @Sendable () async -> Bool) async -> Bool {
    let events = session.events.subscribe(bufferSize: 4096)
    defer { events.cancel() }
    if await condition() { return true }
    return await within(timeout) {
        for await _ in events where await condition() { return true }
        return false
    } ?? false
}
