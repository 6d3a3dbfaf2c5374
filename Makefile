# SharedBrowser: `make demo` runs the quick-start example, `make test` runs every test.
# Both install what is missing first (Chromium, libwebsockets-dev, libxml2-dev) with apt-get.
SWIFT ?= swift

.PHONY: deps build test demo bench tsan clean

deps:
	@bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Builds, then runs the unit, fault-injection and real-Chromium tests.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps
	$(SWIFT) run TwoAgents

# Prints one JSON object per benchmark (release build).
bench: deps
	$(SWIFT) run -c release shared-browser-bench all

# The whole suite under ThreadSanitizer, in its own build folder.
tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf .build .build-tsan
