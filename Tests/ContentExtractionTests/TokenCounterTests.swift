import ContentExtraction
import Testing

@Suite struct TokenCounterTests {
    /// Counts of the real o200k tokenizer for these texts (computed with quicktok's o200k_base).
    static let samples: [(String, Int)] = [
        ("The quick brown fox jumps over the lazy dog. Agents read pages through a token budget, so every section of the context must fit. Internationalization and accessibility matter, too.", 35),
        ("See https://example.com/products/42?color=blue&size=m for details (updated 2026-11-22).", 27),
        ("深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。", 19),
        ("Součkovu práci je snadné přehlédnout, ale West Ham hrozí gigantům.", 22),
    ]

    @Test(arguments: samples)
    func theEstimateIsCloseToTheRealTokenizer(_ text: String, _ real: Int) {
        let estimate = EstimatedTokenCounter().count(text)
        let error = abs(Double(estimate - real)) / Double(real)
        #expect(error <= 0.25, "estimated \(estimate), real \(real)")
    }

    @Test func emptyAndTinyTexts() {
        #expect(EstimatedTokenCounter().count("") == 0)
        #expect(EstimatedTokenCounter().count("Hi") == 1)
        #expect(EstimatedTokenCounter().count("a b c") == 3)
    }

    @Test func aModelsOwnTokenizerPlugsIn() {
        struct Words: TokenCounter {
            func count(_ text: String) -> Int { text.split(separator: " ").count }
        }
        let counter: any TokenCounter = Words()
        #expect(counter.count("one two three") == 3)
    }
}
