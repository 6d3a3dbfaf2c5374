// QuickStart: launch a headless Chromium, open a page, watch its events, evaluate a script, take a
// screenshot and close everything. Run it with `make demo` (or `swift run QuickStart`).
import CDPTransport
import Foundation

let browser = try await CDPBrowser.launch()
print("launched Chromium (pid \(browser.processID ?? 0))")
do {
    let page = try await browser.newPage()
    _ = try await page.send(Page.Enable())
    _ = try await page.send(Runtime.Enable())

    // Print console messages as they happen, from a task of our own.
    let console = Task {
        for await message in page.events(Runtime.ConsoleAPICalled.self) {
            let text = message.args.map { $0.value?.stringValue ?? $0.value?.description ?? $0.description ?? $0.type.rawValue }.joined(separator: " ")
            print("  console.\(message.type): \(text)")
        }
    }

    let html = "<title>SharedBrowser quick start</title><h1>Hello</h1><script>console.log('hello from the page', 42)</script>"
    let url = "data:text/html," + (html.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? html)
    let loaded = try await page.waitForEvent(Page.LoadEventFired.self, timeout: .seconds(10), after: {
        _ = try await page.send(Page.Navigate(url: url))
    })
    print("loaded at monotonic time \(loaded.timestamp)")

    let title = try await page.send(Runtime.Evaluate(expression: "document.title", returnByValue: true))
    print("title: \(title.result.value?.stringValue ?? "?")")

    let sum = try await page.send(method: "Runtime.evaluate", params: ["expression": "6 * 7", "returnByValue": true])
    print("6 * 7 = \(sum["result"]?["value"]?.intValue ?? -1)  (through the raw escape hatch)")

    do {
        _ = try await page.send(method: "Nope.notAMethod")
    } catch let error as CDPError {
        print("an unknown method gives \(error.code): \(error.message)")
    }

    let shot = try await page.send(Page.CaptureScreenshot(format: .jpeg, quality: 80))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart.jpg").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(base64Encoded: shot.data))
    print("screenshot: \(path)")
    console.cancel()
} catch {
    print("error: \(error)")
}
try await browser.close()
print("closed")
