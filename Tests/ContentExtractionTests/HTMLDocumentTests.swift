import ContentExtraction
import Foundation
import Testing

@Suite struct HTMLDocumentTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpus")

    @Test func titlesMatchTheLxmlReferenceOnTheCorpus() throws {
        let referenceURL = Self.corpus.appendingPathComponent("reference-lxml.json")
        let data = try Data(contentsOf: referenceURL)
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        #expect(reference.count == 65)
        for (name, expected) in reference {
            let bytes = try Data(contentsOf: Self.corpus.appendingPathComponent("pages/\(name)"))
            // Browser-serialized HTML is UTF-8; the corpus files are read the same way.
            let html = String(decoding: bytes, as: UTF8.self)
            let title = try HTMLDocument(html: html).title
            #expect(title == expected["title"] as? String, "title of \(name)")
        }
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
