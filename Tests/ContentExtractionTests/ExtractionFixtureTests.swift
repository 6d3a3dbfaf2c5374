import ContentExtraction
import Foundation
import Testing

/// Small pages of the kinds the corpus has (articles with navigation, link-heavy tables, hidden
/// nodes, relative `<base>`, entities, broken markup, several forms), with the counts lxml gives for
/// them: the corpus-wide agreement, checked without the corpus.
@Suite struct ExtractionFixtureTests {
    struct Fixture: Sendable, CustomStringConvertible {
        var name: String
        var html: String
        var url = "https://site.test/dir/page.html"
        var title: String
        var links: Int
        var headings: Int
        var forms: Int
        var fields: Int
        /// The first link's URL and text.
        var firstLink: (String, String)?
        var description: String { name }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "article", html: """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>Rust &amp; Swift &#8212; a tale</title>
            <script>document.write('<a href="/nope">x</a>')</script></head>
            <body><header><a href="/">Home</a><nav><ul><li><a href="/a">A</a></li><li><a href="/b">B</a></li></ul></nav></header>
            <article><h1>A tale</h1><p>Once <a href="story/1">upon</a> a time.</p><h2>Part two</h2><p>More <em>text</em>.</p>
            <h3></h3></article><aside><h4>Related</h4><a href="https://other.test/x">Other</a></aside>
            <footer>&copy; <a href="/legal">Legal</a></footer></body></html>
            """,
            title: "Rust & Swift — a tale", links: 6, headings: 4, forms: 0, fields: 0,
            firstLink: ("https://site.test/", "Home")),
        Fixture(name: "links-in-tables", html: """
            <title>Table</title><table><tr><th>Name</th><th>Link</th></tr>
            <tr><td>One</td><td><a href="one.html">First <b>one</b></a></td></tr>
            <tr><td>Two</td><td><a href="#two">Anchor</a> <a href="mailto:a@b.test">Mail</a></td></tr>
            <tr><td colspan=2><a>no href</a><a href="">empty</a></td></tr></table>
            """,
            title: "Table", links: 4, headings: 0, forms: 0, fields: 0,
            firstLink: ("https://site.test/dir/one.html", "First one")),
        Fixture(name: "hidden-nodes", html: """
            <title>Hidden</title><h1 hidden>Hidden heading</h1><div style="display:none"><a href="/h">Hidden link</a></div>
            <h2>Shown</h2><template><a href="/t">In a template</a></template><noscript><a href="/ns">noscript</a></noscript>
            """,
            title: "Hidden", links: 3, headings: 2, forms: 0, fields: 0,
            firstLink: ("https://site.test/h", "Hidden link")),
        Fixture(name: "relative-base", html: """
            <head><base href="../up/"><title>Base</title></head><a href="x.html">X</a><a href="/root">Root</a>
            <a href="//cdn.test/c">CDN</a><a href="?q=1">Query</a>
            """,
            title: "Base", links: 4, headings: 0, forms: 0, fields: 0,
            firstLink: ("https://site.test/up/x.html", "X")),
        Fixture(name: "broken-markup", html: """
            <title>Broken &lt;markup&gt;</title><h1>Head<h2>Sub</h1></h2><a href=/u1>One<a href=/u2>Two</a>
            <p><b><i>cross</b></i></p><div><span>unclosed<div><a href="/u3" title='q"uote'>Three
            """,
            title: "Broken <markup>", links: 3, headings: 2, forms: 0, fields: 0,
            firstLink: ("https://site.test/u1", "One")),
        Fixture(name: "forms", html: """
            <title>Forms</title>
            <form action="/search"><input name=q aria-label="Search"><button>Search</button></form>
            <form method=post action="login"><label for=u>User</label><input id=u name=u>
            <input type=password name=p><input type=hidden name=csrf value=t0k3n><input type=checkbox name=keep checked>
            <select name=lang><option>en</option><option selected>de</option></select><textarea name=t>hi</textarea>
            <input type=submit value="Sign in"></form>
            <input name=outside>
            """,
            title: "Forms", links: 0, headings: 0, forms: 2, fields: 9, firstLink: nil),
    ]

    @Test(arguments: fixtures)
    func countsMatchWhatLxmlFinds(_ fixture: Fixture) throws {
        let content = try HTMLDocument.extract(html: fixture.html, url: fixture.url)
        #expect(content.title == fixture.title)
        #expect(content.links.count == fixture.links)
        #expect(content.headings.count == fixture.headings)
        #expect(content.forms.count == fixture.forms)
        #expect(content.forms.reduce(0) { $0 + $1.fields.count } == fixture.fields)
        if let (url, text) = fixture.firstLink {
            #expect(content.links.first?.url == url)
            #expect(content.links.first?.text == text)
        }
    }
}
