import CDPTransport
import Coordination
import EventBuffer
import Foundation
import SharedBrowserSupport

/// Where a person's raw input stands: a button pressed and not yet released, a run of typing not yet
/// told, the direction of the last scroll.
struct PersonInputState: Sendable {
    struct Press: Sendable {
        var spot: ElementSpot?
        var point: ViewportPoint
        var button: String
        var clickCount: Int
        var firstInput: UInt64?
    }
    struct Typing: Sendable {
        var spot: ElementSpot?
        var text = ""
        var firstInput: UInt64?
        var lastInput: UInt64?
        var tab: String
    }
    var press: Press?
    var typing: Typing?
    /// The last scroll's direction and when it was told: a run in one direction is told once.
    var scroll: (direction: String, at: Duration)?
    /// Counts typing runs, so an idle flush ends only the run it was set for.
    var typingRun = 0
}

extension SharedBrowserSession {
    /// How long a person may pause in typing before the run is told.
    static let typingPause: Duration = .seconds(1)
    /// The longest a person's input waits for its element to be read (a page whose main thread is
    /// stuck delays the input no longer; the words then say where, not what).
    static let personRead: Duration = .milliseconds(500)
    /// Scrolls in one direction closer than this to the last are one scroll.
    static let scrollRun: Duration = .milliseconds(1500)

    /// Runs a person's input and resolves it to what it did, in words (a `personAction` event): the
    /// element under a click, read before the click reaches it; a run of typing with the field it went
    /// into; Enter with whether it submitted a form; a scroll's direction; navigations and tab switches.
    func runPersonInput(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        let person = Participant(action.source)
        let p = action.params
        let tab = actingTab(named: p.tab, for: person)
        switch action.type {
        case .mouse where p.event == "down":
            flushPersonTyping(person)
            personInput[person, default: .init()].scroll = nil
            let spot = await ElementSpot.read(tab, x: p.x, y: p.y, within: Self.personRead)
            let press = PersonInputState.Press(spot: spot, point: ViewportPoint(x: p.x ?? 0, y: p.y ?? 0), button: p.button ?? "left",
                                               clickCount: p.clickCount ?? 1)
            personInput[person, default: .init()].press = press
            let result = await execute(action, options: options)
            personInput[person]?.press?.firstInput = Self.inputSequence(result, person)
            return result
        case .mouse where p.event == "up":
            let result = await execute(action, options: options)
            if let press = personInput[person]?.press {
                personInput[person]?.press = nil
                let verb = press.button == "right" ? "rightClick" : press.clickCount >= 2 ? "doubleClick" : "click"
                let said = press.button == "right" ? "right-click" : press.clickCount >= 2 ? "double-click" : "click"
                let element = press.spot?.words
                emitPersonAction(person, tab: tab, PersonActionInfo(
                    words: said + " " + (element ?? "at \(Int(press.point.x)),\(Int(press.point.y))"), verb: verb, element: element,
                    point: press.point, box: press.spot?.elementBox, firstInput: press.firstInput ?? Self.inputSequence(result, person),
                    lastInput: Self.inputSequence(result, person)))
            }
            return result
        case .key where p.event == "down" || p.event == "press" || p.event == nil:
            let key = p.key ?? ""
            let held = Set(p.modifiers ?? []).subtracting(["Shift"])
            if key.count == 1, held.isEmpty {
                return await typeByPerson(person, text: key, action, tab: tab, options: options)
            }
            if key == "Backspace", held.isEmpty, personInput[person]?.typing != nil {
                let result = await execute(action, options: options)
                if personInput[person]?.typing?.text.isEmpty == false { personInput[person]?.typing?.text.removeLast() }
                personInput[person]?.typing?.lastInput = Self.inputSequence(result, person)
                schedulePersonTypingFlush(person)
                return result
            }
            if ["Shift", "Control", "Alt", "Meta", "CapsLock"].contains(key) { return await execute(action, options: options) }
            flushPersonTyping(person)
            let combination = ((p.modifiers ?? []).filter { $0 != "Shift" || key.count > 1 } + [key]).joined(separator: "+")
            guard key == "Enter", held.isEmpty else {
                let result = await execute(action, options: options)
                let sequence = Self.inputSequence(result, person)
                emitPersonAction(person, tab: tab, PersonActionInfo(words: "pressed \(combination)", verb: "press", key: combination,
                                                                   firstInput: sequence, lastInput: sequence))
                return result
            }
            // Enter: which field, and whether a form went (the reply is awaited so the page has
            // handled the key before it is asked).
            let spot = await ElementSpot.read(tab, watchSubmit: true, within: Self.personRead)
            let generation = tab.state.withLock { $0.generation }
            var awaited = options
            awaited.onLateInputFailure = nil
            let result = await execute(action, options: awaited)
            var submitted = await ElementSpot.submitted(tab)
            if submitted != true, tab.state.withLock({ $0.generation }) != generation { submitted = spot?.enterSubmits }
            var words = "pressed Enter" + (spot.map { $0.role == "page" ? "" : " in " + $0.words } ?? "")
            if submitted == true { words += " (submitted \(spot?.form ?? "the form"))" }
            let sequence = Self.inputSequence(result, person)
            emitPersonAction(person, tab: tab, PersonActionInfo(
                words: words, verb: "press", element: spot?.words, key: "Enter", box: spot?.elementBox, submitted: submitted ?? false,
                firstInput: sequence, lastInput: sequence))
            return result
        case .insertText:
            return await typeByPerson(person, text: p.text ?? "", action, tab: tab, options: options)
        case .wheel:
            flushPersonTyping(person)
            let result = await execute(action, options: options)
            let (dx, dy) = (p.deltaX ?? 0, p.deltaY ?? 0)
            guard dx != 0 || dy != 0 else { return result }
            let direction = abs(dy) >= abs(dx) ? (dy > 0 ? "down" : "up") : (dx > 0 ? "right" : "left")
            let now = clock.elapsed
            if let last = personInput[person]?.scroll, last.direction == direction, now - last.at < Self.scrollRun {
                personInput[person]?.scroll = (direction, now)
                return result
            }
            personInput[person, default: .init()].scroll = (direction, now)
            let sequence = Self.inputSequence(result, person)
            emitPersonAction(person, tab: tab, PersonActionInfo(words: "scrolled \(direction)", verb: "scroll",
                                                               point: p.x.map { ViewportPoint(x: $0, y: p.y ?? 0) },
                                                               firstInput: sequence, lastInput: sequence))
            return result
        case .mouse, .key:
            return await execute(action, options: options)
        default:
            flushPersonTyping(person)
            let result = await execute(action, options: options)
            if result.succeeded, let info = Self.personWords(for: action, result: result) { emitPersonAction(person, tab: active, info) }
            return result
        }
    }

    /// Adds typed text to the person's run, starting one (with the field in focus) when none is open.
    private func typeByPerson(_ person: Participant, text: String, _ action: BrowserAction, tab: Tab,
                              options: ActionOptions) async -> ActionResult {
        if let open = personInput[person]?.typing, open.tab != tab.targetId { flushPersonTyping(person) }
        if personInput[person]?.typing == nil {
            personInput[person, default: .init()].typingRun += 1
            let spot = await ElementSpot.read(tab, within: Self.personRead)
            personInput[person, default: .init()].typing = PersonInputState.Typing(spot: spot, tab: tab.targetId)
        }
        let result = await execute(action, options: options)
        let sequence = Self.inputSequence(result, person)
        if result.succeeded { personInput[person]?.typing?.text += text }
        if personInput[person]?.typing?.firstInput == nil { personInput[person]?.typing?.firstInput = sequence }
        personInput[person]?.typing?.lastInput = sequence
        schedulePersonTypingFlush(person)
        return result
    }

    /// Tells the run of typing after a pause.
    private func schedulePersonTypingFlush(_ person: Participant) {
        let run = personInput[person]?.typingRun ?? 0
        let clock = self.clock
        Task { [weak self] in
            try? await clock.sleep(for: Self.typingPause)
            await self?.flushPersonTyping(person, run: run)
        }
    }

    /// Tells the person's open run of typing (`typed "Alpha" into textbox "Search"`), if any; with
    /// `run`, only that run.
    func flushPersonTyping(_ person: Participant, run: Int? = nil) {
        guard let typing = personInput[person]?.typing else { return }
        if let run, personInput[person]?.typingRun != run { return }
        personInput[person]?.typing = nil
        guard !typing.text.isEmpty else { return }
        // Unknown field: masked, as a secret would be.
        let shown = typing.spot.map { $0.secret ? ActionParams.mask : typing.text } ?? ActionParams.mask
        let element = typing.spot.flatMap { $0.role == "page" ? nil : $0.words }
        let words = "typed \"\(shown)\"" + (element.map { " into " + $0 } ?? "")
        emitPersonAction(person, tab: tabList.first { $0.targetId == typing.tab } ?? active, PersonActionInfo(
            words: words, verb: "type", element: element, text: shown, box: typing.spot?.elementBox,
            firstInput: typing.firstInput, lastInput: typing.lastInput))
    }

    /// Every person's open run of typing, told now (before a hand-back brief is made).
    func flushAllPersonTyping() {
        for person in personInput.keys { flushPersonTyping(person) }
    }

    /// Publishes a person's action in words, and keeps it for the hand-back brief.
    func emitPersonAction(_ person: Participant, tab: Tab, _ info: PersonActionInfo) {
        sink.emit(.personAction, target: tab.targetId, payload: .person(info), cause: EventCause(person))
        recordPersonWords(info.words)
    }

    /// The sequence of the raw input's own `actionFinished` (or `actionFailed`) event.
    static func inputSequence(_ result: ActionResult, _ person: Participant) -> UInt64? {
        let cause = EventCause(person)
        return result.events.last { ($0.kind == .actionFinished || $0.kind == .actionFailed) && $0.cause == cause }?.sequence
    }

    /// Words for a person's navigation or tab switch.
    static func personWords(for action: BrowserAction, result: ActionResult) -> PersonActionInfo? {
        switch action.type {
        case .navigate: return PersonActionInfo(words: "went to \(result.url)", verb: "navigate", url: result.url)
        case .back: return PersonActionInfo(words: "went back to \(result.url)", verb: "back", url: result.url)
        case .forward: return PersonActionInfo(words: "went forward to \(result.url)", verb: "forward", url: result.url)
        case .reload: return PersonActionInfo(words: "reloaded \(result.url)", verb: "reload", url: result.url)
        case .switchTab:
            let name = result.title.isEmpty ? result.url : result.title
            return PersonActionInfo(words: "switched to tab \"\(name)\"", verb: "switchTab", url: result.url)
        case .openTab: return PersonActionInfo(words: "opened a tab at \(result.url)", verb: "openTab", url: result.url)
        case .closeTab: return PersonActionInfo(words: "closed a tab", verb: "closeTab")
        default:
            // Other actions a person's code runs (a click by selector): as the action reads.
            guard action.type.declaration?.policy.changesPage == true else { return nil }
            let recorded = result.actionValue ?? action.redacted()
            return PersonActionInfo(words: HandBackBrief.describe(recorded), verb: action.type.rawValue, element: recorded.params.target)
        }
    }
}
