public import Foundation

/// Starts `shared-browser-mcp` (at `executable`) over HTTP on a free loopback port, with a new token
/// and no recording, and waits for the line that says where it listens. With `fileLimit`, its soft
/// and hard limits of open files are both lowered first, so it cannot raise its own past them.
/// `stderr`: a file for its log (else none is kept). Returns the process, the MCP URL and the token.
public func startMCPServer(executable: String, _ arguments: [String] = [], stderr: URL? = nil,
                           fileLimit: Int? = nil) throws -> (process: Process, url: URL, token: String) {
    let token = "test-token-" + UUID().uuidString
    let server = Process()
    let arguments = ["--http", "0", "--token", token, "--no-recording"] + arguments
    if let fileLimit {
        server.executableURL = URL(fileURLWithPath: "/bin/sh")
        server.arguments = ["-c", "ulimit -n \(fileLimit) && exec \"$0\" \"$@\"", executable] + arguments
    } else {
        server.executableURL = URL(fileURLWithPath: executable)
        server.arguments = arguments
    }
    let output = Pipe()
    server.standardOutput = output
    if let stderr {
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        server.standardError = try FileHandle(forWritingTo: stderr)
    } else {
        server.standardError = FileHandle.nullDevice
    }
    try server.run()
    var line = Data()
    while true {
        let byte = output.fileHandleForReading.readData(ofLength: 1)
        if byte.isEmpty || byte == Data("\n".utf8) { break }
        line += byte
    }
    guard let url = URL(string: String(decoding: line, as: UTF8.self).split(separator: " ").last.map(String.init) ?? ""),
          url.port != nil else {
        server.terminate()
        throw MCPServerDidNotStart(line: String(decoding: line, as: UTF8.self))
    }
    return (server, url, token)
}

/// The MCP server ended, or said something else, before it said where it listens.
public struct MCPServerDidNotStart: Error, CustomStringConvertible {
    /// What it said instead.
    public let line: String
    public var description: String { "the MCP server did not say where it listens (it said \"\(line)\")" }
}
