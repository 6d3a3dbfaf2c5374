# SharedBrowser: `make demo` runs the quick-start example, `make test` runs every test.
# Both install what is missing first (Chromium, libwebsockets-dev, libxml2-dev) with apt-get.
SWIFT ?= swift

.PHONY: deps build test demo observe bench tsan fuzz docs clean

deps:
	@bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Builds, then runs the unit, fault-injection and real-Chromium tests.
test: deps
	$(SWIFT) build --build-tests
	@run="$$(date +%s%N)-$$$$"; status=0; \
	SHARED_BROWSER_TEST_RUN="$$run" $(SWIFT) test --skip-build || status=$$?; \
	bash Scripts/check-leftovers.sh "$$run" || status=1; \
	exit $$status

demo: deps
	$(SWIFT) run TwoAgents

# An agent that asks a person for help through the live view: open the control link it prints.
WAIT ?= 300
observe: deps
	$(SWIFT) run HumanObserver --wait $(WAIT)

# The DocC documentation of every target, into .build/docs/<Target>; a warning fails the build.
docs: deps
	@bash Scripts/build-docs.sh

# Prints one JSON object per benchmark (release build).
bench: deps
	$(SWIFT) run -c release shared-browser-bench all

# The whole suite under ThreadSanitizer, in its own build folder.
tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

# Fuzzes the HTML extractor with libFuzzer + AddressSanitizer, seeded with the corpus pages.
FUZZ_SECONDS ?= 600
fuzz: deps
	mkdir -p .build-fuzz/corpus
	cp ../shared/corpus/pages/*.html Tests/FuzzRegressions/* .build-fuzz/corpus/ 2>/dev/null || true
	swiftc -O -sanitize=fuzzer,address -parse-as-library -DFUZZING -module-name ExtractFuzz \
		-I Sources/CLibXML2 $$(pkg-config --cflags-only-I libxml-2.0 | sed 's/-I/-Xcc -I/g') \
		Sources/ContentExtraction/*.swift Sources/extract-fuzzer/ExtractFuzzer.swift \
		-lxml2 -o .build-fuzz/extract-fuzzer
	.build-fuzz/extract-fuzzer .build-fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=262144 -rss_limit_mb=4096

clean:
	rm -rf .build .build-tsan .build-fuzz
