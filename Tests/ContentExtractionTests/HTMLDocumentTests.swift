import ContentExtraction
import Foundation
import Testing

@Suite struct HTMLDocumentTests {
    @Test(.enabled(if: Corpus.isAvailable, Corpus.skipReason))
    func titlesMatchTheLxmlReferenceOnTheCorpus() throws {
        let reference = try Corpus.reference()
        #expect(reference.count >= 1)
        for (name, expected) in reference {
            let title = try HTMLDocument(html: try Corpus.page(name)).title
            #expect(title == expected["title"] as? String, "title of \(name)")
        }
    }

    @Test func titlesAreDecodedAndCollapsedAsLxmlDoes() throws {
        #expect(try HTMLDocument(html: "<title>Fish &amp; Chips &ndash; &#8220;Menu&#x201D;</title>").title == "Fish & Chips – “Menu”")
        #expect(try HTMLDocument(html: "<title>\n  Two\n\tlines  </title><title>second</title>").title == "Two lines")
        #expect(try HTMLDocument(html: "<body><h1>No title</h1>").title == "")
        #expect(try HTMLDocument(html: "<head><title>Caf\u{E9} \u{65E5}\u{672C}</title>").title == "Caf\u{E9} \u{65E5}\u{672C}")
    }

    @Test func malformedAndDeeplyNestedMarkupNeverCrashes() throws {
        #expect(try HTMLDocument(html: "<html><head><title> a \n  b </title>").title == "a b")
        #expect(try HTMLDocument(html: "").title == "")
        #expect(try HTMLDocument(html: "<<<>>><title>x</ti").title == "x")
        // Past libxml2's depth limit the rest of the document is dropped, without a crash.
        let deep = "<title>deep</title>" + String(repeating: "<div>", count: 100_000) + "x"
        #expect(try HTMLDocument(html: deep).title == "deep")
    }

    @Test func inputOverTheCapIsATypedError() {
        #expect(throws: ExtractionError.self) { try HTMLDocument(html: String(repeating: "a", count: 101), maximumSize: 100) }
    }
}
