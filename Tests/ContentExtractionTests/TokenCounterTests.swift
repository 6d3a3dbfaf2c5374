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

    /// Texts of every kind an agent context holds, with their real o200k counts (quicktok's
    /// o200k_base): prose, filler, CJK, other scripts, code, URLs, numbers, identifiers, symbols.
    static let scripts: [(String, String, Int)] = [
        ("English prose", " European to sight New Zealand. In 1840, representatives of the United Kingdom and Māori chiefs signed the Treaty of Waitangi, which declared British sovereignty over the islands. In 1841, New Zealand became a colony within the British Empire and in 1907 it became a dominion; it gained full statutory", 63),
        ("English news", "tail Crumbles\nAfter 26 Days at Sea, Missing Father and Daughter Arrive in Australia\nSouth Koreaâs Blacklist of Artists Adds to Outrage Over Presidential Scandal\nLoading...\nSee next articles\nSee previous articles\nHome Page\nSite Navigation\nHome Page\nHome Page\nWorld\nU.S.\nPolitics\nN.Y.\nBusiness\nBusiness\nOpinion\nOpinion\nTech\nScience\nHealth\nSports\nSports\nArts\nArts\nFashion", 94),
        ("Latin filler (lorem ipsum)", "Lorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod tempor invidunt\nLorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod tempor invidunt\nLorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod tempor invidunt ut labore et", 86),
        ("Lorem ipsum", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum", 57),
        ("Japanese", "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。吾輩はここで始めて人間というものを見た。しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。東京都渋谷区の株式会社テストは、２０２６年１１月に新しいサービスを開始しました。カタカナのテキスト、ソフトウェアエンジニアリング、インターネットプロトコル。吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。吾輩はここで始めて人間というものを見た。しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。東京都渋谷区の株式会社テストは、２０２６年１１月に新しいサービスを開始しました。カタカナのテキスト、ソフトウェアエンジニアリング、インターネットプロトコル。吾輩は猫である。名前はまだ無", 338),
        ("Chinese", "深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在改变人工智能的研究方向，研究人员利用大量数据训练模型。北京时间今天上午，国家统计局发布了最新的经济数据，显示消费市场继续回暖。深度学习正在", 244),
        ("Korean", "대한민국의 수도는 서울이며, 인구는 약 천만 명이다. 인공지능 기술은 빠르게 발전하고 있으며 많은 기업들이 새로운 서비스를 출시하고 있다.대한민국의 수도는 서울이며, 인구는 약 천만 명이다. 인공지능 기술은 빠르게 발전하고 있으며 많은 기업들이 새로운 서비스를 출시하고 있다.대한민국의 수도는 서울이며, 인구는 약 천만 명이다. 인공지능 기술은 빠르게 발전하고 있으며 많은 기업들이 새로운 서비스를 출시하고 있다.대한민국의 수도는 서울이며, 인구는 약 천만 명이다. 인공지능 기술은 빠르게 발전하고 있으며 많은 기업들이 새로운 서비스를 출시하고", 142),
        ("Russian", "Москва — столица России, город федерального значения, административный центр Центрального федерального округа. Искусственный интеллект быстро развивается.Москва — столица России, город федерального значения, административный центр Центрального федерального округа. Искусственный интеллект быстро развивается.Москва", 57),
        ("Arabic", "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، وتعد من أكبر المدن في أفريقيا والشرق الأوسط. الذكاء الاصطناعي يتطور بسرعة.القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، وتعد من أكبر المدن في أفريقيا والشرق الأوسط. الذكاء الاصطناعي يتطور بسرعة.القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها، وتعد", 91),
        ("Hindi", "नई दिल्ली भारत की राजधानी है। कृत्रिम बुद्धिमत्ता तेजी से विकसित हो रही है और कई कंपनियां नई सेवाएं शुरू कर रही हैं।नई दिल्ली भारत की राजधानी है। कृत्रिम बुद्धिमत्ता तेजी से विकसित हो रही है और कई कंपनियां नई सेवाएं शुरू कर रही हैं।नई दिल्ली भारत की राजधानी है। कृत्रिम बुद्धिमत्ता तेजी से विकसित हो रही", 80),
        ("Thai", "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ปัญญาประดิษฐ์กำลังพัฒนาอย่างรวดเร็วกรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ปัญญาประดิษฐ์กำลังพัฒนาอย่างรวดเร็วกรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ปัญญาประดิษฐ์กำลังพัฒนาอย่างรวดเร็วกรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย ปัญญาประดิษฐ์กำลังพัฒนาอย่างรวดเร็วกรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", 114),
        ("Greek", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Η τεχνητή νοημοσύνη αναπτύσσεται ραγδαία.Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Η τεχνητή νοημοσύνη αναπτύσσεται ραγδαία.Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Η τεχνητή νοημοσύνη αναπτύσσεται ραγδαία.Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Η τεχνητή νοημοσύνη", 128),
        ("German compounds", "Die Donaudampfschifffahrtsgesellschaftskapitänsmütze und Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz sind bekannte Beispiele für lange Zusammensetzungen. Übermäßige Größenänderungen führen zu Schwierigkeiten.Die Donaudampfschifffahrtsgesellschaftskapitänsmütze und Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz", 85),
        ("Swift code", "tems).\n    public struct Budgets: Sendable, Hashable {\n        /// The whole context. Default 4,000.\n        public var total: Int\n        /// How many of the latest errors to show. Default 5.\n        public var errors = 5\n        /// The accessibility snapshot gets at least the lower and at most the", 70),
        ("JavaScript", "ector fails on the first pass.\nenum PageScripts {\n    struct Request: Encodable {\n        /// `css` or `text`.\n        var kind: String\n        var value: String\n        /// `click`, `hover`, `fill`, `select`, `check`, `scroll`, `focus`, or a wait:\n        /// `attached`, `visible`, `hidden`, `detached`;", 81),
        ("URLs", "https://www.example-shop.com/products/0/red-shoes?utm_source=newsletter&utm_medium=email&ref=44fd3abffd&sessionId=59bfD0FBe459ad788B8A8CE7\nhttps://www.example-shop.com/products/1/red-shoes?utm_source=newsletter&utm_medium=email&ref=86c452b253&sessionId=a0CDb4FaBAbA93C8e29C785a\nhttps://www.example-shop.com/products/2/blue_hat?utm_source=newsletter&utm_medium=email&ref=49c8f6799a&sessionId=E9964Acd88ffa0Df16BA9BD8\nhttp", 150),
        ("Numbers", "76 997016036 37 218092523326 759886632119 451522 931112920 853671347777 7528882 20 2809041 68030383 3 55207 8536361321 4920392 4600245 52 54043258927 477 196 3194715 123195 350343813218 63543 2362127 79782129295 92 0 677150600 396 57 7657080 661881844 4808104 8709428806 238752195 85 10 792569 77863007", 140),
        ("camelCase identifiers", "XMLHttpRequest onClickHandler innerHTML onClickHandler getElementById innerHTML DOMSnapshotCapture SharedBrowserSession SharedBrowserSession DOMSnapshotCapture SharedBrowserSession getElementById SharedBrowserSession XMLHttpRequest onClickHandler getElementById XMLHttpRequest XMLHttpRequest onClickHandler", 55),
        ("Hex digests", "eee7f32d4bae8eae754a86005b5eb6b4f7c0a4eceb16af8db4a679b41955ca9d\n4b0e0bc6e93700d63341da9d5920bf2c4efd0b764e55072337d255fde8b99ef3\n89e04cc09cdd0ba285c9c9e727902e38f231640149273545bfa8933d4ea80228\n9b71db5fa7a3b9154c07bb6364233b3a1669138e403125b6b8e84568ab569d18\nb99df077f9738aff17ce7ba3722ae734cfebffc6780adcfc8268432f22132a47\neb329a2139db91621cb9c4acbef6d17f87c5201a91e83988bbf5bb0f6d650cc3\na9f80abd03f3f7293e1b07b82b6978", 246),
        ("Emoji and typography", "Great job 🎉🎉 thanks 👍 ❤️ see you 😀 — “quoted” ‘text’ … •••Great job 🎉🎉 thanks 👍 ❤️ see you 😀 — “quoted” ‘text’ … •••Great job 🎉🎉 thanks 👍 ❤️ see you 😀 — “quoted” ‘text’ … •••Great job 🎉🎉 thanks 👍 ❤️ see you 😀 — “quoted” ‘text’ … •••Great job 🎉🎉 thanks 👍 ❤️ see you 😀 — “quoted” ‘text’ … •••Great job 🎉🎉", 116),
        ("Markdown links", "://www.bbc.com/future/)\n- [TV](/tv/)\n- [Radio](/radio/)\n- [CBBC](/cbbc)\n- [CBeebies](/cbeebies)\n- [WW1](/ww1/)\n- [Food](/food/)\n- [iWonder](/iwonder)\n- [Bitesize](/education)\n- [Music](/music/)\n- [Nature](/nature/)\n- [Local](/local/)\n- [More](#orb-footer)\n- [](http://search.bbc.co.uk/search)\n- [News](http://www.bbc.com/news/)\n-", 131),
        ("Chinese decoded with the wrong encoding", "\u{748b}\u{950b}\u{74d5}(\u{5bf0}\u{e1bc}\u{5d25}) \u{9366}\u{fffd}2014\u{9a9e}\u{5b58}\u{6579}\u{7490}\u{e160}\u{6b91}\u{6d5c}\u{54c4}\u{4f10}\u{93c5}\u{9e3f}\u{5158}\u{934f}\u{e100}\u{5f83}DeepMind\u{5bee}\u{20ac}\u{9359}\u{621d}\u{56ad}\u{6d93}\u{20ac}\u{5a06}\u{6350}\u{5158}\u{6fb6}\u{71ba}\u{6564}\u{9477}\u{e044}\u{7e41}\u{9428}\u{52ee}\u{e187}\u{8e47}\u{55d7}\u{e11f}\u{6d94}\u{72b3}\u{67ca}\u{942d}\u{30e8}\u{7611}\u{9a9e}\u{8dfa}\u{57c4}\u{9422}\u{3128}\u{7e56}\u{6d5c}\u{6d9a}\u{7161}\u{7487}\u{55d8}\u{6f75}\u{9365}\u{70b5}\u{74df}\u{95c2}\u{e1c0}\u{e57d}\u{9428}\u{52ee}\u{e178}\u{7ee0}\u{6941}\u{6e80}\u{9286}\u{fffd}\n## \u{934f}\u{3126}\u{76af}\u{5bf0}\u{e1bb}\u{4fca}\u{93c3}\u{6735}\u{552c}\u{951b}\u{5c80}\u{6564}\u{7487}\u{e162}\u{7176}\u{9354}\u{71bb}\u{5158}\u{9359}\u{fffd}60\u{7ec9}\u{6393}\u{69f8}\u{7ec9}\u{5d86}\u{20ac}\u{5ea2}\u{7271}\u{9428}\u{52ea}\u{7d8b}\u{6960}\u{5c8b}\u{7d35}", 228),
        ("Icon-font glyphs", "ut eHow\neHow UK\neHow en Español\neHow Brasil\neHow Deutschland\nContact Us\neHow Blog\nHow to by Topic\nHow to Videos\nTerms of Use\nPrivacy Policy\nReport Copyright\nAd Choices en-US\nConnect with us:\n\n\n\n\n", 75),
    ]

    @Test func theUpperBoundIsAtOrAboveTheRealCountInEveryScript() {
        let upper = EstimatedTokenCounter.upperBound
        #expect(upper.isUpperBound && !EstimatedTokenCounter().isUpperBound)
        for (kind, text, real) in Self.scripts {
            let bound = upper.count(text)
            #expect(bound >= real, "\(kind): upper bound \(bound), real \(real)")
            // An upper bound, not a wild one: at most about twice the real count.
            #expect(bound <= real * 2 + 8, "\(kind): upper bound \(bound), real \(real)")
        }
        // Whole contexts mix them: the bound holds for the mix too.
        let mixed = Self.scripts.map(\.1).joined(separator: "\n")
        let realTotal = Self.scripts.reduce(0) { $0 + $1.2 }
        #expect(upper.count(mixed) >= realTotal)
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
