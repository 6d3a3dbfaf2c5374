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
/// letters split sooner, digits go in groups of three (a space before them is a token of its own),
/// punctuation runs in pairs, and CJK text is about two tokens per three characters. Against the
/// real o200k tokenizer on the 65 corpus pages (see `Documentation/Performance.md`), the estimate is
/// within the error stated there; it costs well under a microsecond per word.
///
/// ``upperBound`` counts so that the real o200k count of a text is at most the estimate, in every
/// script (Latin prose and filler text, CJK, Cyrillic, Arabic, Indic, code, URLs, numbers): the
/// counter a budget must be checked with. `ContextComposer` uses it by default.
public struct EstimatedTokenCounter: TokenCounter {
    struct Rates: Sendable {
        /// Latin words up to this many letters are one token; each `long` letters more, one more.
        var short: Double = 8, long: Double = 5
        /// Words with accented letters: one more token each `accented` letters after three.
        var accented: Double = 2.5
        /// A lower-to-upper case change inside a word (`camelCase`, base64).
        var caseChange: Double = 0
        /// Ideographs and Hangul; kana and full-width forms.
        var cjk: Double = 0.65, kana: Double = 0.65
        /// Per letter of Cyrillic; of other alphabets (Greek, Arabic, Hebrew, Indic, Thai...).
        var cyrillic: Double = 0.25, otherScript: Double = 0.25
        /// Ideographs on a line that also holds replacement or private-use characters: text decoded
        /// with the wrong encoding, whose "ideographs" are rare ones that split into bytes.
        var garbledCJK: Double = 1.6
        /// Private-use characters (icon fonts), replacement characters and characters beyond the basic
        /// plane (emoji).
        var rareSymbol: Double = 2
        /// The whole count is multiplied by this.
        var scale: Double = 1
        /// Whether a line of Latin-script words with hardly any English function words (filler
        /// text, other languages) is counted as such words split: more tokens per letter.
        var foreignLines = false
    }

    /// English function words of up to four letters, packed as in ``packed(_:)``: a line of Latin
    /// words with few of them is not English, and its words split into more tokens.
    static let functionWords: Set<UInt32> = Set([
        "the", "of", "and", "to", "a", "in", "is", "it", "that", "for", "on", "was", "with", "as", "be", "by",
        "at", "this", "are", "or", "from", "his", "her", "an", "have", "has", "not", "but", "they", "you",
        "we", "he", "she", "its", "will", "can", "our", "all", "more", "been", "were", "one", "had", "also",
        "who", "when", "than", "into", "i", "my", "your", "if", "do", "no", "so", "up", "out", "new", "what",
    ].map(packed))

    static func packed(_ word: String) -> UInt32 {
        word.utf8.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
    let rates: Rates

    /// Whether the counts are upper bounds of the real o200k counts (see ``upperBound``).
    public var isUpperBound: Bool { rates.scale > 1 }

    /// The estimate: as close as it gets to the real count, above or below.
    public init() { rates = Rates() }

    init(rates: Rates) { self.rates = rates }

    /// Counts at or above the real o200k count of a text in every script: about 1.2 times the real
    /// count on English pages, so a budget checked with it is kept. Measured on the corpus in
    /// `Documentation/Performance.md` (no page below its real count); `TokenCounterTests` holds texts
    /// of every kind with their real counts.
    public static let upperBound = EstimatedTokenCounter(rates: Rates(
        short: 7, long: 4, accented: 2.2, caseChange: 1, cjk: 0.7, kana: 1, cyrillic: 0.1, otherScript: 0.35,
        garbledCJK: 2.2, rareSymbol: 3, scale: 1.12, foreignLines: true))

    /// The estimated token count of `text`.
    public func count(_ text: String) -> Int {
        let r = rates
        var tokens = 0.0
        var letters = 0       // length of the current run of Latin letters
        var accented = false  // the run has letters beyond ASCII (other vocabularies split those more)
        var otherAlphabet = false  // the run is of Greek, Cyrillic, Arabic... letters
        var caseChanges = 0
        var previousLower = false
        var digits = 0
        var spaces = 0
        var punctuation = 0   // length of the current run of ASCII punctuation
        // The line's Latin words counted as English and as split words, its words, its English
        // function words, and the current word packed (lower case, up to four letters).
        var english = 0.0, split = 0.0, words = 0, functionWords = 0
        // The line's ideographs, and whether it shows signs of a wrong decoding.
        var ideographs = 0.0, garbled = false
        var word: UInt32 = 0
        func endWord() {
            if letters > 0 {
                let n = Double(letters)
                let changes = Double(caseChanges) * r.caseChange
                if otherAlphabet || (r.foreignLines && caseChanges > 0) {
                    // Greek, Cyrillic, Arabic... pay per letter already; identifiers split at case changes.
                    tokens += (n <= r.short ? 1 : 1 + (n - r.short) / r.long) + changes
                } else if accented {
                    tokens += (letters <= 3 ? 1 : 1 + (n - 3) / r.accented) + changes
                } else if r.foreignLines {
                    english += (n <= r.short ? 1 : 1 + (n - r.short) / r.long) + changes
                    split += (letters <= 3 ? 1 : 1 + (n - 3) / r.accented) + changes
                    words += 1
                    if letters <= 4, Self.functionWords.contains(word) { functionWords += 1 }
                } else {
                    // English words up to 8 letters are mostly one token; longer ones one more per 5.
                    tokens += (n <= r.short ? 1 : 1 + (n - r.short) / r.long) + changes
                }
                letters = 0
                accented = false
                otherAlphabet = false
                caseChanges = 0
                word = 0
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
        func endLine() {
            endWord()
            // Fewer than one English function word in eight: filler text or another language.
            tokens += words >= 6 && functionWords * 8 < words ? split : english
            tokens += ideographs * (garbled ? r.garbledCJK : r.cjk)
            ideographs = 0
            garbled = false
            english = 0
            split = 0
            words = 0
            functionWords = 0
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0xC0 && v <= 0x24F && v != 0xD7 && v != 0xF7) {
                if digits > 0 || punctuation > 0 { endWord() }
                let upper = v <= 0x5A
                if letters > 0 && upper && previousLower { caseChanges += 1 }
                previousLower = !upper
                if letters < 4 { word = word << 8 | (upper ? v + 0x20 : v) }
                letters += 1
                if v >= 0xC0 { accented = true }
                spaces = 0
            } else if v >= 0x30 && v <= 0x39 {
                if letters > 0 || punctuation > 0 { endWord() }
                if digits == 0 && spaces > 0 { tokens += 1 }   // " 42": the space is a token
                digits += 1
                spaces = 0
            } else if v == 0x20 {
                endWord()
                spaces += 1
                if spaces == 2 { tokens += 1 }   // runs of spaces are tokens of their own
            } else if v == 0x0A || v == 0x09 || v == 0x0D {
                endLine()
                if spaces == 0 || v != 0x0A { tokens += 1 }
                spaces = 0
            } else if v < 0x80 {
                if letters > 0 || digits > 0 { endWord() }
                punctuation += 1               // punctuation and symbols; runs like "://" merge
                spaces = 0
            } else if (v >= 0x3040 && v <= 0x30FF) || (v >= 0xFF00 && v <= 0xFFEF) {
                endWord()
                tokens += r.kana               // kana, full-width forms
                spaces = 0
            } else if (v >= 0x3000 && v <= 0x303F) || (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0xAC00 && v <= 0xD7AF) {
                endWord()
                ideographs += 1                // CJK punctuation, ideographs, Hangul: counted per line
                spaces = 0
            } else if v >= 0x0370 && v <= 0x1FFF {
                // Greek, Cyrillic, Arabic, Hebrew, Indic...: letters of smaller vocabularies.
                if digits > 0 { endWord() }
                letters += 1
                otherAlphabet = true
                tokens += v >= 0x400 && v <= 0x4FF ? r.cyrillic : r.otherScript
                spaces = 0
            } else {
                endWord()
                // Other symbols and typographic punctuation; icon-font glyphs, replacement characters
                // and emoji cost more.
                let rare = (v >= 0xE000 && v <= 0xF8FF) || v == 0xFFFD || v >= 0x10000
                if rare && v < 0x10000 { garbled = true }
                tokens += rare ? r.rareSymbol : 1
                spaces = 0
            }
        }
        endLine()
        return Int((tokens * r.scale).rounded(.up))
    }
}
