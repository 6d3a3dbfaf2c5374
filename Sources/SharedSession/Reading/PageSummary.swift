public import ContentExtraction
public import EventBuffer
import Foundation

/// A page at a glance, returned with navigations and clicks: title, the first headings, the lead of
/// the main text, the links in view, the forms, and how much more there is.
public struct PageSummary: Sendable, Hashable, CustomStringConvertible {
    /// The page's URL.
    public var url: String
    /// The page's title.
    public var title: String
    /// The `<meta name=description>`, if any.
    public var metaDescription: String?
    /// The first 10 headings.
    public var headings: [PageContent.Heading]
    /// The start of the main text, about 400 characters, cut at a word.
    public var lead: String
    /// Up to 20 links in the viewport, one per URL.
    public var visibleLinks: [PageContent.Link]
    /// Every form, with its fields.
    public var forms: [PageContent.Form]
    /// How many links the page has.
    public var linkCount: Int
    /// How many headings the page has.
    public var headingCount: Int
    /// How many images the page has.
    public var imageCount: Int
    /// The estimated size of the whole main text, in tokens.
    public var textTokens: Int

    /// The summary of extracted `content` at `url`, with the links in view; `counter` sizes the text.
    public init(content: PageContent, url: String, visibleLinks: [PageContent.Link],
                counter: any TokenCounter = EstimatedTokenCounter()) {
        self.url = url
        title = content.title
        metaDescription = content.meta.description
        headings = Array(content.headings.prefix(10))
        lead = ContextComposer.clipWords(content.mainText.replacingOccurrences(of: "\n", with: " "), 400)
        var seen = Set<String>()
        self.visibleLinks = Array(visibleLinks.filter { seen.insert($0.url).inserted }.prefix(20))
        forms = content.forms
        linkCount = content.links.count
        headingCount = content.headings.count
        imageCount = content.images.count
        textTokens = counter.count(content.mainText)
    }

    /// The summary as text for a model.
    public var description: String {
        var lines = ["Page: \(title.isEmpty ? "(untitled)" : ContextComposer.clip(title, 200)) — \(ContextComposer.clip(url, 300))"]
        if let metaDescription, !metaDescription.isEmpty { lines.append("Description: " + ContextComposer.clip(metaDescription, 300)) }
        lines.append("Size: \(linkCount) links, \(headingCount) headings, \(forms.count) forms, \(imageCount) images, about \(textTokens) tokens of text")
        if !headings.isEmpty {
            lines.append("Headings:")
            lines += headings.map { String(repeating: "  ", count: max(0, $0.level - 1)) + "- " + ContextComposer.clip($0.text, 120) }
            if headingCount > headings.count { lines.append("  (\(headingCount - headings.count) more)") }
        }
        if !lead.isEmpty { lines.append("Text: " + lead) }
        if !visibleLinks.isEmpty {
            lines.append("Links in view:")
            lines += visibleLinks.map { "- [\(ContextComposer.clip($0.text.isEmpty ? "(no text)" : $0.text, 80))](\(ContextComposer.clip($0.url, 200)))" }
        }
        for (index, form) in forms.enumerated() {
            lines.append("Form \(index + 1): \(form.method) \(ContextComposer.clip(form.action ?? "(this page)", 200))")
            lines += form.fields.map { ContextComposer.fieldLine($0, refs: [:]) }
        }
        return lines.joined(separator: "\n")
    }
}

/// What an agent needs to know about the browser right now: where it is, the page at a glance, the
/// interactive elements in view (with refs), the latest errors and what is still loading.
public struct AgentBrowserState: Sendable, Hashable, CustomStringConvertible {
    /// The active tab's URL.
    public var url: String
    /// The active tab's title.
    public var title: String
    /// Whether the tab is loading.
    public var loading: Bool
    /// Whether the tab's history allows going back.
    public var canGoBack: Bool
    /// Whether the tab's history allows going forward.
    public var canGoForward: Bool
    /// The open JavaScript dialog, which blocks the page until answered.
    public var dialog: DialogInfo?
    /// The page at a glance; nil when it could not be read (see ``notes``).
    public var summary: PageSummary?
    /// The interactive elements in the viewport, as snapshot lines with refs.
    public var visibleElements: [AccessibilitySnapshot.Line]
    /// The latest console errors, page errors and failed requests, newest last.
    public var errors: [String]
    /// Requests in flight (`GET https://...`).
    public var pendingRequests: [String]
    /// Why a part could not be read.
    public var notes: [String]

    /// For a model: a few lines per part, the elements with their refs.
    public var description: String {
        var lines = ["URL: \(url)", "Title: \(title.isEmpty ? "(none)" : title)"]
        var status = [loading ? "loading" : "loaded"]
        if canGoBack { status.append("can go back") }
        if canGoForward { status.append("can go forward") }
        if !pendingRequests.isEmpty { status.append("\(pendingRequests.count) requests pending") }
        lines.append("Status: " + status.joined(separator: "; "))
        if let dialog { lines.append("Dialog open: \(dialog.type) \"\(dialog.message)\"") }
        lines += notes
        if let summary { lines.append(summary.description) }
        if !visibleElements.isEmpty {
            lines.append("Interactive elements in view:")
            lines += visibleElements.map { "- " + $0.text.drop { $0 == " " || $0 == "-" } }
        }
        lines.append(errors.isEmpty ? "Errors: none" : "Errors (newest last):")
        lines += errors.map { "- " + $0 }
        if !pendingRequests.isEmpty {
            lines.append("Pending requests:")
            lines += pendingRequests.prefix(10).map { "- " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
