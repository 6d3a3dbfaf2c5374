import ContentExtraction
import Foundation
import Testing

@Suite struct PageContentTests {
    @Test(.enabled(if: Corpus.isAvailable, Corpus.skipReason))
    func countsAndTitlesMatchTheLxmlReferenceOnEveryCorpusPage() throws {
        for (name, expected) in try Corpus.reference() {
            let html = try Corpus.page(name)
            let content = try HTMLDocument.extract(html: html, url: "https://example.test/dir/page.html")
            #expect(content.title == expected["title"] as? String, "title of \(name)")
            #expect(content.links.count == expected["links"] as? Int, "links of \(name)")
            #expect(content.headings.count == expected["headings"] as? Int, "headings of \(name)")
            #expect(content.forms.count == expected["forms"] as? Int, "forms of \(name)")
            #expect(content.forms.reduce(0) { $0 + $1.fields.count } == expected["form_fields"] as? Int, "fields of \(name)")
            if let firstLinks = expected["first_links"] as? [[String]], let first = firstLinks.first {
                #expect(content.links.first?.text == first[1], "first link text of \(name)")
            }
        }
    }

    static let page = """
    <!doctype html><html lang="de"><head>
      <title>  Shop \u{00A0} —   Start </title>
      <base href="https://shop.test/store/">
      <meta name="description" content="  Everything   you need ">
      <meta property="og:title" content="The Shop"><meta property="og:image" content="https://cdn.test/x.png">
      <link rel="canonical" href="/start">
      <style>.x { color: red }</style><script>var hidden = "not text";</script>
    </head><body>
      <nav><a href="/">Home</a> <a href="cart" rel="nofollow">Cart</a></nav>
      <main>
        <h1>Welcome</h1>
        <p>Fresh   bread,
           every day.</p>
        <img src="img/bread.jpg" alt="Bread"><img src="https://other.test/a.png">
        <form action="/login" method="post">
          <label for="user">User name</label><input id="user" name="user" required>
          <label>Password <input type="password" name="pass" value="secret"></label>
          <input name="q" aria-label="Search the shop" value="rye">
          <input name="zip" placeholder="Postal code">
          <select name="size"><option value="s">Small</option><option value="m" selected>Medium</option><optgroup><option>Large</option></optgroup></select>
          <textarea name="note">  keep
     spaces </textarea>
          <button>Sign in</button>
        </form>
      </main>
      <footer>© 2026 <a href="https://shop.test/legal">Legal</a></footer>
    </body></html>
    """

    @Test func extractsMetaLinksImagesFormsAndMainText() throws {
        let content = try HTMLDocument.extract(html: Self.page, url: "https://shop.test/index.html")
        #expect(content.title == "Shop — Start")
        #expect(content.meta.language == "de")
        #expect(content.meta.description == "Everything you need")
        #expect(content.meta.canonical == "https://shop.test/start")
        #expect(content.meta.openGraph == ["title": "The Shop", "image": "https://cdn.test/x.png"])
        #expect(content.headings.map { "\($0.level) \($0.text)" } == ["1 Welcome"])
        // Resolved against <base>, not the document URL.
        #expect(content.links.map(\.url) == ["https://shop.test/", "https://shop.test/store/cart", "https://shop.test/legal"])
        #expect(content.links[1].rel == "nofollow" && content.links[1].text == "Cart")
        #expect(content.images.map(\.src) == ["https://shop.test/store/img/bread.jpg", "https://other.test/a.png"])
        #expect(content.images.map(\.alt) == ["Bread", nil])

        let form = try #require(content.forms.first)
        #expect(form.action == "https://shop.test/login" && form.method == "POST")
        let byName = Dictionary(uniqueKeysWithValues: form.fields.compactMap { f in f.name.map { ($0, f) } })
        #expect(byName["user"]?.label == "User name" && byName["user"]?.required == true)
        #expect(byName["pass"]?.label == "Password" && byName["pass"]?.type == "password")
        #expect(byName["pass"]?.value == nil)   // never a password's value
        #expect(byName["q"]?.label == "Search the shop" && byName["q"]?.value == "rye")
        #expect(byName["zip"]?.label == "Postal code")
        #expect(byName["size"]?.value == "m")
        #expect(byName["size"]?.options.map(\.value) == ["s", "m", "Large"])
        #expect(byName["note"]?.value?.contains("keep") == true)
        #expect(form.fields.last?.element == "button" && form.fields.last?.label == "Sign in")

        // The main text: <main> only, no navigation or footer, no script or style, spaces collapsed.
        #expect(content.mainText.hasPrefix("Welcome\nFresh bread, every day."))
        #expect(!content.mainText.contains("Home") && !content.mainText.contains("Legal"))
        #expect(!content.mainText.contains("not text") && !content.mainText.contains("color"))
    }

    @Test func withoutMainTheBodyTextWithoutChromeIsUsed() throws {
        let content = try HTMLDocument.extract(html: "<nav>Menu</nav><div>Body <b>text</b></div><footer>Foot</footer>")
        #expect(content.mainText == "Body text")
        #expect(content.links.isEmpty && content.forms.isEmpty)
    }

    @Test func scriptAndStyleBodiesAreSkippedButOnlyThey() throws {
        let html = """
        <p>A</p><!-- <script> --><p>B</p><a title="<script>" href="/x">X</a>
        <SCRIPT type=x>var s = "<a href='/no'>no</a>";</SCRIPT><p>C</p><scripts><a href="/y">Y</a></scripts>
        <style>a { content: "<a href=/no2>" }</style><a href="/z">Z</a><script>unclosed <a href="/never">
        """
        let content = try HTMLDocument.extract(html: html, url: "https://s.test/")
        #expect(content.links.map(\.url) == ["https://s.test/x", "https://s.test/y", "https://s.test/z"])
        #expect(content.mainText.contains("A") && content.mainText.contains("B") && content.mainText.contains("C"))
        #expect(!content.mainText.contains("var s") && !content.mainText.contains("unclosed"))

        // Whitespace is shrunk only where extraction collapses it anyway: not in a textarea's text,
        // not in attribute values.
        let form = try HTMLDocument.extract(html: """
            <form><textarea name=t>  two
              lines <!-- a comment --> </textarea><input name=v value="a   b"><p>x \n\n  y</p></form>
            """, url: "https://s.test/")
        let fields = try #require(form.forms.first?.fields)
        #expect(fields[0].value == "  two\n  lines  ")   // libxml2 reads the comment as one
        #expect(fields[1].value == "a   b")
        #expect(form.mainText.contains("x y"))
    }

    @Test func aWrappingLabelNamesItsFieldByTheWordsBeforeIt() throws {
        let content = try HTMLDocument.extract(html: """
            <form><label>Visibility <select name=v><option>Private</option><option>Team</option></select></label>
            <label><input type=checkbox name=a> I agree</label><label>Name <input name=n> (required)</label></form>
            """)
        #expect(try #require(content.forms.first).fields.map(\.label) == ["Visibility", "I agree", "Name"])
    }

    @Test func linksKnowWhetherTheyAreInTheMainContent() throws {
        let withoutMain = try HTMLDocument.extract(html: "<nav><a href=/a>Menu</a></nav><div><a href=/b>Story</a></div><footer><a href=/c>Legal</a></footer>",
                                                   url: "https://x.test/")
        #expect(withoutMain.links.map(\.inMainContent) == [false, true, false])
        let article = String(repeating: "Long enough text for a main element. ", count: 8)
        let withMain = try HTMLDocument.extract(html: "<div><a href=/a>Aside</a></div><main>\(article)<a href=/b>Story</a></main>",
                                                url: "https://x.test/")
        #expect(withMain.links.map(\.inMainContent) == [false, true])
    }

    @Test func malformedInputNeverCrashes() throws {
        let junk = String(decoding: (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, as: UTF8.self)
        for html in ["", "<", "<h", "<h>x</h>", "<!DOCTYPE html>\n<h      <div>- x</div></main>", "</a></form></select>", "<a href=\"x\"><a href='y'>", "<form><form><input></form>",
                     String(repeating: "<div><a href=#>", count: 50_000), junk, "<select><option>", "<title>"] {
            let content = try HTMLDocument.extract(html: html, url: "https://x.test/")
            _ = content.mainText
        }
        #expect(throws: ExtractionError.self) { try HTMLDocument.extract(html: String(repeating: "x", count: 11), maximumSize: 10) }
    }
}
