/// What an agent needs to know about a page, extracted from its HTML.
///
/// URLs are absolute (resolved against the document's `<base>` and URL); texts have their
/// whitespace collapsed; password and one-time-code values are never included.
public struct PageContent: Sendable, Hashable, Codable {
    /// The `<title>`, whitespace collapsed.
    public var title: String
    /// What `<meta>` and `<link rel=canonical>` say.
    public var meta: Meta
    /// The headings `h1`–`h6`, in document order.
    public var headings: [Heading]
    /// The links with an `href`, in document order.
    public var links: [Link]
    /// The forms, with their fields.
    public var forms: [Form]
    /// The images with a `src`.
    public var images: [Image]
    /// The visible text: of `<main>` or `<article>` when the page has one with text, else of the
    /// body without navigation, header, footer and aside; script and style are never text.
    /// Blocks are separated by newlines.
    public var mainText: String

    /// What the page says about itself.
    public struct Meta: Sendable, Hashable, Codable {
        /// The `<meta name=description>`.
        public var description: String?
        /// The `<link rel=canonical>`, absolute.
        public var canonical: String?
        /// The `lang` of `<html>`.
        public var language: String?
        /// `og:*` properties, by name without the prefix (`title`, `image`, ...).
        public var openGraph: [String: String] = [:]
    }

    /// A heading.
    public struct Heading: Sendable, Hashable, Codable {
        /// 1 to 6.
        public var level: Int
        /// Its text.
        public var text: String
    }

    /// A link.
    public struct Link: Sendable, Hashable, Codable {
        /// Absolute when the `href` could be resolved, else as written.
        public var url: String
        /// Its text, whitespace collapsed.
        public var text: String
        /// Its `rel` (`nofollow`, `next`, ...).
        public var rel: String?
        /// Whether the link is part of the page's content: inside `<main>`/`<article>` when the page
        /// has them, else outside navigation, header, footer and aside.
        public var inMainContent = true

        /// A link to `url` reading `text`.
        public init(url: String, text: String, rel: String? = nil, inMainContent: Bool = true) {
            self.url = url
            self.text = text
            self.rel = rel
            self.inMainContent = inMainContent
        }
    }

    /// A form.
    public struct Form: Sendable, Hashable, Codable {
        /// Absolute; the document's URL when the form has no `action`.
        public var action: String?
        /// `GET` or `POST` (upper case).
        public var method: String
        /// Its fields, in document order.
        public var fields: [Field]
    }

    /// A field of a form.
    public struct Field: Sendable, Hashable, Codable {
        /// `input`, `select`, `textarea` or `button`.
        public var element: String
        /// Its `name` attribute.
        public var name: String?
        /// The input type (`text`, `password`, `checkbox`, ...), `select`, `textarea`, or the button type.
        public var type: String
        /// From `<label for>`, a wrapping `<label>`, `aria-label` or `placeholder`, in that order.
        public var label: String?
        /// Whether it is `required`.
        public var required: Bool
        /// The current value; nil for passwords and one-time codes (`autocomplete="one-time-code"`), always.
        public var value: String?
        /// For a `<select>`: its options.
        public var options: [Option]
        /// The element's `id`, if any.
        public var id: String?
        /// The field's position among the document's `input`, `select`, `textarea` and `button`
        /// elements in document order (inside forms or not; those in `<template>` and `<noscript>`
        /// not counted, nil for them): how a browser's DOM node is matched with the field.
        public var domIndex: Int?
    }

    /// An option of a `<select>`.
    public struct Option: Sendable, Hashable, Codable {
        /// Its value (its text when it has no `value`).
        public var value: String
        /// Its label (its `label` attribute, else its text).
        public var label: String
        /// Whether it is selected.
        public var selected: Bool
    }

    /// An image.
    public struct Image: Sendable, Hashable, Codable {
        /// Its `src`, absolute.
        public var src: String
        /// Its `alt` text.
        public var alt: String?
    }
}
