import DemoSite
import Foundation
@testable import SharedSession
import Testing

extension Chromium {
/// The snapshot's walk of the page, on markup that names, hides and nests elements in every way the
/// accessibility tree knows.
@Suite struct SnapshotWalkTests {
    static let page = """
        <title>Walk</title>
        <header><nav aria-label="Main"><a href="/a">Home</a><a href="/b"><img src="x.png" alt="Profile"></a></nav></header>
        <main>
          <h1>Title <small>sub</small></h1>
          <p>Plain <b>bold</b> text.</p>
          <span id="lbl">Given name</span><input aria-labelledby="lbl" id="given">
          <label>Family <input id="family" placeholder="ignored"></label>
          <input id="search" type="search" placeholder="Search the site">
          <input type="checkbox" id="agree" checked><label for="agree">I agree</label>
          <input type="submit" value="Send">
          <select id="size"><option>S</option><option selected>M</option></select>
          <button aria-label="Close dialog">×</button>
          <div role="button" tabindex="0">Custom</div>
          <div hidden><a href="/hidden">Hidden link</a></div>
          <div style="display:none"><button>Invisible</button></div>
          <div aria-hidden="true"><button>Decorative</button></div>
          <svg width="10" height="10"><title>Chart</title><circle r="4"/></svg>
          <svg width="10" height="10"><text x="0" y="9">Axis</text></svg>
          <details><summary>More</summary><p>Inside</p></details>
          <table><tr><th>Name</th><td>Value</td></tr></table>
          <div contenteditable="true">Editable</div>
          <div id="host"></div>
          <input type="password" id="pw" value="s3cret">
          <h2><a href="/same">Same name</a></h2>
        </main>
        <script>
          document.getElementById('host').attachShadow({mode: 'open'}).innerHTML = '<button>In shadow</button>';
        </script>
        """

    @Test func rolesNamesAndStatesFollowTheAccessibilityTree() async throws {
        let (session, _) = try await TestSession.shared.get()
        try await session.navigate(to: dataURL(Self.page), as: system).get()
        let text = try #require(try await session.snapshot(as: system).get().snapshot).text
        for expected in [
            "navigation \"Main\"", "link \"Home\"", "link \"Profile\"", "heading \"Title sub\" [level=1]",
            "textbox \"Given name\"", "textbox \"Family\"", "searchbox \"Search the site\"",
            "checkbox \"I agree\" [checked]", "button \"Send\"", "combobox [value=\"M\"]", "button \"Close dialog\"",
            "button \"Custom\"", "image \"Chart\"", "\"Axis\"", "button \"More\" [collapsed]", "row: rowheader \"Name\" | \"Value\"", "textbox", "button \"In shadow\"", "[value=\"•••\"]", "link \"Same name\"",
        ] {
            #expect(text.contains(expected), "no \(expected) in\n\(text)")
        }
        for absent in ["Hidden link", "Invisible", "Decorative", "s3cret", "ignored", "Inside"] {
            #expect(!text.contains(absent), "\(absent) in\n\(text)")
        }
        #expect(text.contains("\"Plain bold text."))   // inline runs: one line
        // Refs of every kind of element resolve to it, the shadow root's button included.
        let shadow = try #require(text.split(separator: "\n").first { $0.contains("In shadow") })
        let ref = try #require(shadow.split(separator: " ").first { $0.hasPrefix("ref=") })
        try await session.click(ElementTarget(String(ref)), as: system).get()
    }

    /// A label names the field it holds by its own text: a select's options and a text area's text
    /// are the field's value, not its name. Another control inside a label counts as its value (as the
    /// accessible name computation says), a secret one never; labels side by side stay apart.
    @Test func aLabelNamesItsFieldByItsTextAlone() async throws {
        let (session, _) = try await TestSession.shared.get()
        try await session.navigate(to: dataURL("""
            <label>Visibility <select><option>Private</option><option selected>Team</option><option>Public</option></select></label>
            <label>Notes <textarea>The old text</textarea></label>
            <label><input type=checkbox> Remind me every <select><option>3</option><option selected>5</option></select> days</label>
            <label><input type=checkbox> Use <input type=password value=s3cret> here</label>
            <fieldset><legend>Plan</legend><label><input type=radio name=p> Starter</label><label><input type=radio name=p> Enterprise</label></fieldset>
            <label>Seats <select><option>5 seats</option></select></label>
            """), as: system).get()
        let text = try #require(try await session.snapshot(as: system).get().snapshot).text
        for expected in ["combobox \"Visibility\" [value=\"Team\"]", "textbox \"Notes\" [value=\"The old text\"]",
                         "checkbox \"Remind me every 5 days\"", "checkbox \"Use here\"", "radio \"Enterprise\"",
                         "combobox \"Seats\" [value=\"5 seats\"]"] {
            #expect(text.contains(expected), "no \(expected) in\n\(text)")
        }
        for absent in ["Private Team", "- \"The old text\"", "s3cret", "Enterprise Seats"] {
            #expect(!text.contains(absent), "\(absent) in\n\(text)")
        }
    }

    @Test func aPageThatTampersWithItsOwnWorldDoesNotChangeTheWalk() async throws {
        let (session, _) = try await TestSession.shared.get()
        let page = "<button>Real</button><script>Element.prototype.getAttribute = () => 'evil'; window.getComputedStyle = () => ({display: 'none'});"
            + "globalThis.__sharedBrowser = {elements: new Map(), ids: new WeakMap(), next: 1};</script>"
        try await session.navigate(to: dataURL(page), as: system).get()
        let snapshot = try #require(try await session.snapshot(as: system).get().snapshot)
        #expect(snapshot.text.contains("button \"Real\" ref="), "\(snapshot.text)")
        let ref = try #require(snapshot.refs.keys.first)
        try await session.click(ElementTarget("ref=" + ref), as: system).get()
    }

    @Test func theWalksLinesBecomeATree() {
        let nodes = PageReader.nodes("0\tRootWebArea\tT\t\t\t0\t1\n1\tlist\t\t\t\t0\t1\n2\tlink\tA\t\t\t7\t0\n1\tbutton\tB\t\tdisabled=true\t9\t1",
                                     visibility: true)
        #expect(nodes.map(\.role) == ["RootWebArea", "list", "link", "button"])
        #expect(nodes[0].childIds == ["1", "3"] && nodes[1].childIds == ["2"])
        #expect(nodes[2].backendNodeId == 7 && nodes[2].visible == false && nodes[3].properties["disabled"] == "true")
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 1)
        #expect(snapshot.text == "- list\n  - link \"A\" ref=e1\n- button \"B\" [disabled] ref=e2")
    }
}
}
