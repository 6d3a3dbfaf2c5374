import DemoSite
import EventBuffer
import Foundation
import SharedSession
import TestSupport
import Testing

extension Chromium {
/// Tabs the page opens, tabs that must not open, and pages that ask before being left.
@Suite(.serialized) struct TabTests {
    /// `window.open`, `target=_blank` and a form with a target each become a tab: listed by `tabs()`,
    /// announced by `targetCreated` naming the opener, at the URL they load.
    @Test(arguments: ["window.open", "link", "form"])
    func pagesOpenedByThePageBecomeTabs(how: String) async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("popups-\(how)") { session in
            let target = site.url("/widgets")
            try await session.navigate(to: dataURL("""
                <button id=open onclick="window.open('\(target)')">open</button>
                <a id=link href="\(target)" target=_blank>link</a>
                <form id=form action="\(target)" target=_blank method=get><button id=send>send</button></form>
                """), as: system).get()
            let opener = await session.activeTab.id
            let created = session.events.subscribe(kinds: [.targetCreated])
            let element = ["window.open": "#open", "link": "#link", "form": "#send"][how]!
            try await session.click(.css(element), as: system).get()
            let event = try #require(await firstEvent(created, .targetCreated))
            guard case .target(let info) = event.payload else { Issue.record("no target info"); return }
            #expect(info.openerId == opener)
            let listed = await sessionBecomes(session, within: .seconds(10)) {
                await session.tabs().contains { $0.id == info.id && $0.url.hasPrefix(target) }
            }
            let tabs = await session.tabs()
            #expect(listed, "\(tabs)")
            #expect(await session.activeTab.id == opener, "the opener stays active")
            try await session.switchTab(to: info.id, as: system).get()
            #expect(try await session.evaluate("location.pathname", as: system).get().value == "/widgets")
        }
    }

    /// A URL the session refuses opens no tab.
    @Test func openTabWithARefusedURLOpensNothing() async throws {
        try await withOwnSession("refused-tab") { session in
            let before = await session.tabs().count
            let refused = await session.openTab(url: "file:///etc/passwd", as: system)
            #expect(refused.error?.code == .urlNotAllowed)
            let invalid = await session.openTab(url: "not a url", as: system)
            #expect(invalid.error?.code == .invalidURL)
            #expect(await session.tabs().count == before)
        }
    }

    /// A page that asks before it is left: the dialog is reported, and navigate never claims a
    /// success it did not have. Left open (a person decides), navigate fails with `dialogOpen` and
    /// the page stays; answered automatically, the navigation goes through.
    @Test(arguments: [SharedBrowserSession.DialogPolicy.leaveOpen, .automatic])
    func aPageThatAsksBeforeLeavingIsReported(policy: SharedBrowserSession.DialogPolicy) async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("beforeunload", configure: { $0.dialogPolicy = policy }) { session in
            try await session.navigate(to: site.url("/widgets"), as: system).get()
            try await session.evaluate("addEventListener('beforeunload', e => { e.preventDefault(); e.returnValue = '' }); 1", as: system).get()
            // Chromium asks only on pages a person has interacted with.
            try await session.click(.css("body"), as: system).get()
            let leaving = await session.navigate(to: site.url("/console"), as: system)
            #expect(leaving.dialog?.type == "beforeunload")
            #expect(leaving.events.contains { $0.kind == .dialogOpened })
            if policy == .leaveOpen {
                #expect(leaving.error?.code == .dialogOpen, "\(String(describing: leaving.error))")
                #expect(leaving.url.hasSuffix("/widgets"))
                try await session.handleDialog(accept: false, as: system).get()
                #expect(await session.activeTab.url.hasSuffix("/widgets"))
            } else {
                #expect(leaving.error == nil, "\(String(describing: leaving.error))")
                #expect(leaving.url.hasSuffix("/console"))
            }
        }
    }
}
}
