import CDPTransport
import EventBuffer
import Foundation

/// Turns a tab's CDP events into ``BrowserEvent``s: one pure function of the event, the tab's state and
/// what the session knows (its dialog policy, who acts), with no I/O. What needs the browser (a load's
/// title and history, answering a dialog) comes back as an effect for the tab's pump to carry out, so
/// the mapping is tested on recorded CDP JSON alone.
enum TabEventMapper {
    /// What the session knows when an event arrives.
    struct Context: Sendable {
        var dialogPolicy: SharedBrowserSession.DialogPolicy
        /// A person holds control (dialogs then stay open for them under the automatic policy).
        var humanInControl: Bool
        /// Who caused what happens in the tab now: the participant whose action runs, else the page.
        var cause: EventCause
    }

    enum Effect: Sendable, Hashable {
        /// Publish an event; `cause` nil means the tab's current cause.
        case emit(BrowserEvent.Kind, BrowserEvent.Payload, cause: EventCause? = nil)
        /// The document loaded: read its title and history (from the browser process), then publish
        /// `titleChanged` when the title is new and `pageLoaded`.
        case loaded
        /// A same-document navigation: read the history flags, then publish the navigation.
        case navigatedWithinDocument(url: String, isMainFrame: Bool)
        /// Answer the open dialog, now or after a delay.
        case answerDialog(accept: Bool, after: Duration?)
    }

    /// The methods the mapper reads.
    static let methods: Set<String> = [
        "Page.frameNavigated", "Page.navigatedWithinDocument", "Page.loadEventFired",
        "Page.javascriptDialogOpening", "Page.javascriptDialogClosed",
        "Runtime.consoleAPICalled", "Runtime.exceptionThrown",
        "Network.requestWillBeSent", "Network.responseReceived", "Network.loadingFailed",
    ]

    static func map(_ event: CDPEvent, state s: inout Tab.State, context: Context) -> [Effect] {
        switch event.method {
        case "Page.frameNavigated":
            guard let navigated = try? event.decode(Page.FrameNavigated.self) else { return [] }
            let frame = navigated.frame
            guard frame.parentId == nil else {
                return [.emit(.navigation, .navigation(NavigationInfo(url: frame.url, isMainFrame: false)))]
            }
            let url = frame.unreachableUrl ?? frame.url
            s.mainFrameId = frame.id
            s.url = url
            s.title = ""
            s.requests.removeAll()
            s.generation += 1
            // History flags come with the load event: the entry may not be committed yet here.
            var effects: [Effect] = [.emit(.navigation, .navigation(NavigationInfo(
                url: url, isMainFrame: true, errorText: frame.unreachableUrl == nil ? nil : "the page could not be loaded")))]
            // A page restored from the back-forward cache fires no load event: it is loaded already.
            if navigated.type == .backForwardCacheRestore { effects.append(.loaded) }
            return effects

        case "Page.navigatedWithinDocument":
            guard let navigated = try? event.decode(Page.NavigatedWithinDocument.self) else { return [] }
            let isMain = navigated.frameId == s.mainFrameId
            if isMain { s.url = navigated.url }
            return [.navigatedWithinDocument(url: navigated.url, isMainFrame: isMain)]

        case "Page.loadEventFired":
            return [.loaded]

        case "Runtime.consoleAPICalled":
            guard let call = try? event.decode(Runtime.ConsoleAPICalled.self) else { return [] }
            let text = call.args.map(render).joined(separator: " ")
            let location = call.stackTrace?.callFrames.first.map { "\($0.url):\($0.lineNumber + 1):\($0.columnNumber + 1)" }
            let level = call.type == .warning ? "warning" : call.type.rawValue
            return [.emit(.console, .console(ConsoleInfo(level: level, text: text, location: location)))]

        case "Runtime.exceptionThrown":
            guard let thrown = try? event.decode(Runtime.ExceptionThrown.self) else { return [] }
            let details = thrown.exceptionDetails
            let description = details.exception?.description ?? details.text
            let message = description.split(separator: "\n").first.map(String.init) ?? details.text
            return [.emit(.pageError, .pageError(PageErrorInfo(message: message, stack: description)))]

        case "Page.javascriptDialogOpening":
            guard let opening = try? event.decode(Page.JavascriptDialogOpening.self) else { return [] }
            let info = DialogInfo(type: opening.type.rawValue, message: opening.message)
            s.dialog = info
            var effects: [Effect] = [.emit(.dialogOpened, .dialog(info))]
            switch context.dialogPolicy {
            case .leaveOpen:
                break
            case .automatic:
                // A person in control answers it; otherwise answered at once, as Playwright does.
                if !context.humanInControl {
                    effects.append(.answerDialog(accept: opening.type == .beforeunload || opening.type == .alert, after: nil))
                }
            case .dismiss(let delay):
                // `beforeunload` is always accepted: it must never block leaving or closing a page.
                effects.append(.answerDialog(accept: opening.type == .beforeunload, after: delay))
            case .accept(let delay):
                effects.append(.answerDialog(accept: true, after: delay))
            }
            return effects

        case "Page.javascriptDialogClosed":
            let closed = try? event.decode(Page.JavascriptDialogClosed.self)
            let info = s.dialog
            s.dialog = nil
            return [.emit(.dialogClosed, .dialog(DialogInfo(
                type: info?.type ?? "dialog", message: info?.message ?? "", accepted: closed?.result)))]

        case "Network.requestWillBeSent":
            guard let sent = try? event.decode(Network.RequestWillBeSent.self) else { return [] }
            var effects: [Effect] = []
            if let redirect = sent.redirectResponse {
                effects.append(.emit(.response, .request(RequestInfo(
                    id: sent.requestId, url: redirect.url, method: sent.request.method, resourceType: sent.type?.rawValue,
                    status: redirect.status)), cause: s.requests[sent.requestId]?.cause ?? context.cause))
            }
            effects.append(.emit(.request, .request(RequestInfo(
                id: sent.requestId, url: sent.request.url, method: sent.request.method, resourceType: sent.type?.rawValue)),
                cause: context.cause))
            // Whoever caused the request is credited with its response or failure, whenever it comes.
            s.requests[sent.requestId] = (sent.request.url, sent.request.method, false, context.cause)
            return effects

        case "Network.responseReceived":
            guard let received = try? event.decode(Network.ResponseReceived.self) else { return [] }
            // Answered: no longer pending (as in BrowserState), even while its body still streams; kept
            // so a later failure still names its URL.
            s.requests[received.requestId]?.answered = true
            let request = s.requests[received.requestId]
            return [.emit(.response, .request(RequestInfo(
                id: received.requestId, url: received.response.url, method: request?.method, resourceType: received.type.rawValue,
                status: received.response.status)), cause: request?.cause)]

        case "Network.loadingFailed":
            guard let failed = try? event.decode(Network.LoadingFailed.self) else { return [] }
            let request = s.requests.removeValue(forKey: failed.requestId)
            return [.emit(.requestFailed, .request(RequestInfo(
                id: failed.requestId, url: request?.url ?? "", method: request?.method, resourceType: failed.type.rawValue,
                errorText: failed.errorText)), cause: request?.cause)]

        default:
            return []
        }
    }

    /// A console argument as a person would read it.
    static func render(_ object: Runtime.RemoteObject) -> String {
        if let value = object.value {
            if case .string(let text) = value { return text }
            return value.description
        }
        if let unserializable = object.unserializableValue { return unserializable }
        return object.description ?? object.type.rawValue
    }
}

/// Turns the browser-wide CDP events (tabs opened, closed, crashed, retitled; downloads) into
/// ``BrowserEvent``s, as ``TabEventMapper`` does for a tab: pure, with effects for the session.
enum BrowserEventMapper {
    struct State: Sendable {
        /// The page targets seen, with their titles.
        var titles: [String: String] = [:]
        /// Downloads under way: their URL and where they are written.
        var downloads: [String: (url: String, path: String)] = [:]
    }

    enum Effect: Sendable, Hashable {
        case emit(BrowserEvent.Kind, BrowserEvent.Payload, target: String?)
        /// A tab the page opened: attach to it and list it.
        case adoptPopup(String)
        /// A tab closed: forget it.
        case forgetTab(String)
        /// A tab's title may have changed (a script set it): publish `titleChanged` if the tab had another.
        case titleChanged(target: String, title: String, url: String)
    }

    static let methods: Set<String> = [
        "Target.targetCreated", "Target.targetDestroyed", "Target.targetCrashed", "Target.targetInfoChanged",
        "Browser.downloadWillBegin", "Browser.downloadProgress",
    ]

    static func map(_ event: CDPEvent, state s: inout State, downloadsDirectory: String) -> [Effect] {
        switch event.method {
        case "Target.targetCreated":
            guard let info = try? event.decode(Target.TargetCreated.self).targetInfo, info.type == "page" else { return [] }
            s.titles[info.targetId] = info.title
            var effects: [Effect] = [.emit(.targetCreated, .target(TargetInfo(
                id: info.targetId, url: info.url, type: info.type, openerId: info.openerId)), target: info.targetId)]
            // A tab the page opened (window.open, target=_blank): one of the session's tabs.
            if info.openerId != nil { effects.append(.adoptPopup(info.targetId)) }
            return effects
        case "Target.targetDestroyed":
            guard let destroyed = try? event.decode(Target.TargetDestroyed.self),
                  s.titles.removeValue(forKey: destroyed.targetId) != nil else { return [] }
            return [.emit(.targetClosed, .target(TargetInfo(id: destroyed.targetId)), target: destroyed.targetId),
                    .forgetTab(destroyed.targetId)]
        case "Target.targetCrashed":
            guard let crashed = try? event.decode(Target.TargetCrashed.self) else { return [] }
            return [.emit(.targetCrashed, .target(TargetInfo(id: crashed.targetId)), target: crashed.targetId)]
        case "Target.targetInfoChanged":
            guard let info = try? event.decode(Target.TargetInfoChanged.self).targetInfo, info.type == "page",
                  let previous = s.titles[info.targetId], previous != info.title else { return [] }
            s.titles[info.targetId] = info.title
            // Until a document has a <title>, the browser reports its URL (without the scheme).
            if info.title.isEmpty || info.url.hasSuffix(info.title) { return [] }
            return [.titleChanged(target: info.targetId, title: info.title, url: info.url)]
        case "Browser.downloadWillBegin":
            guard let begin = try? event.decode(Browser.DownloadWillBegin.self) else { return [] }
            let path = downloadsDirectory + "/" + begin.suggestedFilename
            s.downloads[begin.guid] = (begin.url, path)
            return [.emit(.downloadStarted, .download(DownloadInfo(id: begin.guid, url: begin.url, path: path, state: "inProgress")),
                          target: nil)]
        case "Browser.downloadProgress":
            guard let progress = try? event.decode(Browser.DownloadProgress.self) else { return [] }
            let known = s.downloads[progress.guid]
            if progress.state != .inProgress { s.downloads[progress.guid] = nil }
            let info = DownloadInfo(id: progress.guid, url: known?.url, path: known?.path,
                                    receivedBytes: Int(progress.receivedBytes), totalBytes: Int(progress.totalBytes),
                                    state: progress.state.rawValue)
            return [.emit(progress.state == .inProgress ? .downloadProgress : .downloadFinished, .download(info), target: nil)]
        default:
            return []
        }
    }
}
