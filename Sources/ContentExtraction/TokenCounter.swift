/// Counts tokens the way a model would see a text, to keep what agents are given within budget.
///
/// The default, ``EstimatedTokenCounter``, is a fast heuristic; plug in your model's tokenizer for exact
/// counts:
///
/// ```swift
/// struct MyTokenizer: TokenCounter {
///     func count(_ text: String) -> Int { myBPE.encode(text).count }
/// }
/// ```
public protocol TokenCounter: Sendable {
    /// The number of tokens in `text`.
    func count(_ text: String) -> Int
}

/// A fast token estimate for BPE tokenizers of the GPT-4o family (o200k), without a vocabulary.
///
/// It counts words, numbers, punctuation and non-Latin script the way such tokenizers split them:
/// an English word of up to 8 letters is one token and longer ones cost more, words with accented
/// letters split sooner, digits go in groups of three, punctuation runs in pairs, and CJK text is
/// about two tokens per three characters. Against the real o200k
/// tokenizer on the 65 corpus pages (see `Documentation/Performance.md`), the estimate is within the
/// error stated there; it costs well under a microsecond per word.
public struct EstimatedTokenCounter: TokenCounter {
    public init() {}

    public func count(_ text: String) -> Int {
        var tokens = 0.0
        var letters = 0       // length of the current run of Latin letters
        var accented = false  // the run has letters beyond ASCII (other vocabularies split those more)
        var digits = 0
        var spaces = 0
        var punctuation = 0   // length of the current run of ASCII punctuation
        func endWord() {
            if letters > 0 {
                if accented {
                    tokens += letters <= 3 ? 1 : 1 + Double(letters - 3) / 2.5
                } else {
                    // English words up to 8 letters are mostly one token; longer ones one more per 5.
                    tokens += letters <= 8 ? 1 : 1 + Double(letters - 8) / 5
                }
                letters = 0
                accented = false
            }
            if punctuation > 0 {
                tokens += Double((punctuation + 1) / 2)
                punctuation = 0
            }
            if digits > 0 {
                tokens += Double((digits + 2) / 3)
                digits = 0
            }
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0xC0 && v <= 0x24F && v != 0xD7 && v != 0xF7) {
                if digits > 0 || punctuation > 0 { endWord() }
                letters += 1
                if v >= 0xC0 { accented = true }
                spaces = 0
            } else if v >= 0x30 && v <= 0x39 {
                if letters > 0 || punctuation > 0 { endWord() }
                digits += 1
                spaces = 0
            } else if v == 0x20 {
                endWord()
                spaces += 1
                if spaces == 2 { tokens += 1 }   // runs of spaces are tokens of their own
            } else if v == 0x0A || v == 0x09 || v == 0x0D {
                endWord()
                if spaces == 0 || v != 0x0A { tokens += 1 }
                spaces = 0
            } else if v < 0x80 {
                if letters > 0 || digits > 0 { endWord() }
                punctuation += 1               // punctuation and symbols; runs like "://" merge
                spaces = 0
            } else if (v >= 0x3000 && v <= 0x30FF) || (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0xAC00 && v <= 0xD7AF)
                        || (v >= 0xFF00 && v <= 0xFFEF) {
                endWord()
                tokens += 0.65                 // kana, CJK ideographs and punctuation, Hangul, full-width forms
                spaces = 0
            } else if v >= 0x0370 && v <= 0x1FFF {
                // Greek, Cyrillic, Arabic, Hebrew, Indic...: letters of smaller vocabularies.
                if digits > 0 { endWord() }
                letters += 1
                tokens += 0.25
                spaces = 0
            } else {
                endWord()
                tokens += 1                    // other symbols, emoji, typographic punctuation
                spaces = 0
            }
        }
        endWord()
        return Int(tokens.rounded(.up))
    }
}
