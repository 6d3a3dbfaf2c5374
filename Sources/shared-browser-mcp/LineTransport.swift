import Foundation
import Logging
import MCP

/// MCP over stdin and stdout, one JSON-RPC message per line, read by a thread that blocks on stdin.
///
/// The SDK's `StdioTransport` polls a non-blocking stdin with 10 ms sleeps, which puts about 10 ms on
/// every call; a blocking read answers as soon as a line arrives.
actor LineTransport: Transport {
    nonisolated let logger = Logger(label: "shared-browser-mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let messages: AsyncThrowingStream<Data, any Error>
    private let sink: AsyncThrowingStream<Data, any Error>.Continuation
    private var reader: Thread?
    private let output = FileHandle.standardOutput

    init() {
        (messages, sink) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard reader == nil else { return }
        let sink = sink
        let thread = Thread {
            var pending = Data()
            let input = FileHandle.standardInput
            while true {
                // Blocks until bytes come; empty at end of input.
                let chunk = input.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[pending.index(after: newline)...])
                    if !line.isEmpty { sink.yield(Data(line)) }
                }
            }
            sink.finish()
        }
        thread.name = "mcp stdin"
        thread.start()
        reader = thread
    }

    func disconnect() async {
        sink.finish()
    }

    func send(_ data: Data) async throws {
        var line = data
        line.append(0x0A)
        try output.write(contentsOf: line)
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
