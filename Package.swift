// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "SharedBrowser",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WebSockets", targets: ["WebSockets"]),
        .library(name: "CDPTransport", targets: ["CDPTransport"]),
        .library(name: "EventBuffer", targets: ["EventBuffer"]),
        .library(name: "Coordination", targets: ["Coordination"]),
        .library(name: "ContentExtraction", targets: ["ContentExtraction"]),
        .library(name: "SharedSession", targets: ["SharedSession"]),
        .library(name: "DemoSite", targets: ["DemoSite"]),
        .library(name: "LiveView", targets: ["LiveView"]),
        .library(name: "Timeline", targets: ["Timeline"]),
        .library(name: "AgentTools", targets: ["AgentTools"]),
        .executable(name: "shared-browser-timeline", targets: ["shared-browser-timeline"]),
        .executable(name: "shared-browser-mcp", targets: ["shared-browser-mcp"]),
        .executable(name: "shared-browser-bench", targets: ["shared-browser-bench"]),
        .executable(name: "QuickStart", targets: ["QuickStart"]),
        .executable(name: "TwoAgents", targets: ["TwoAgents"]),
        .executable(name: "HumanObserver", targets: ["HumanObserver"]),
        .executable(name: "Lanes", targets: ["Lanes"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        // `make docs`: `swift package generate-documentation` for every catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries: each is imported by exactly one Swift file, privately.
        .systemLibrary(
            name: "CLibWebSockets",
            pkgConfig: "libwebsockets",
            providers: [.apt(["libwebsockets-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),

        .target(name: "SharedBrowserSupport", swiftSettings: swiftSettings),
        .target(
            name: "WebSockets",
            dependencies: ["CLibWebSockets", "SharedBrowserSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CDPTransport",
            dependencies: ["WebSockets", "SharedBrowserSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(name: "EventBuffer", swiftSettings: swiftSettings),
        .target(name: "Coordination", swiftSettings: swiftSettings),
        .target(name: "ContentExtraction", dependencies: ["CLibXML2"], swiftSettings: swiftSettings),
        .target(name: "DemoSite", dependencies: ["WebSockets", "SharedBrowserSupport"], swiftSettings: swiftSettings),
        .target(
            name: "SharedSession",
            dependencies: ["CDPTransport", "EventBuffer", "Coordination", "ContentExtraction", "SharedBrowserSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "LiveView",
            dependencies: ["SharedSession", "CDPTransport", "Coordination", "EventBuffer", "WebSockets", "SharedBrowserSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Timeline",
            dependencies: ["SharedSession", "EventBuffer", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AgentTools",
            dependencies: ["SharedSession", "CDPTransport", "EventBuffer", "Coordination"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "shared-browser-mcp",
            dependencies: ["AgentTools", "SharedSession", "LiveView", "Timeline", "CDPTransport", "Coordination", "EventBuffer", "SharedBrowserSupport",
                           .product(name: "MCP", package: "swift-sdk"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "shared-browser-timeline",
            dependencies: ["Timeline", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "QuickStart",
            dependencies: ["SharedSession", "CDPTransport"],
            path: "Examples/QuickStart",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TwoAgents",
            dependencies: ["SharedSession", "DemoSite", "Timeline"],
            path: "Examples/TwoAgents",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HumanObserver",
            dependencies: ["SharedSession", "LiveView", "DemoSite", "Timeline"],
            path: "Examples/HumanObserver",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Lanes",
            dependencies: ["SharedSession", "DemoSite"],
            path: "Examples/Lanes",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "extract-fuzzer", dependencies: ["ContentExtraction"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "shared-browser-bench",
            dependencies: ["CDPTransport", "EventBuffer", "Coordination", "SharedSession", "DemoSite", "ContentExtraction", "TestSupport", "LiveView", "WebSockets", "SharedBrowserSupport", "Timeline", "AgentTools",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/shared-browser-bench",
            swiftSettings: swiftSettings
        ),

        .executableTarget(name: "session-host", dependencies: ["SharedSession", "LiveView"], path: "Tests/SessionHost", swiftSettings: swiftSettings),
        .target(name: "TestSupport", dependencies: ["CDPTransport"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "SharedBrowserSupportTests", dependencies: ["SharedBrowserSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "WebSocketsTests", dependencies: ["WebSockets", "SharedBrowserSupport", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CDPTransportTests", dependencies: ["CDPTransport", "WebSockets", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["CDPTransport", "SharedSession", "DemoSite", "TestSupport", "LiveView", "Timeline", "AgentTools",
                                                       "ContentExtraction", "Coordination", "EventBuffer", "SharedBrowserSupport", "WebSockets"], swiftSettings: swiftSettings),
        .testTarget(name: "LiveViewTests", dependencies: ["LiveView"], swiftSettings: swiftSettings),
        .testTarget(name: "SharedSessionTests", dependencies: ["SharedSession", "EventBuffer", "CDPTransport", "ContentExtraction"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "TimelineTests", dependencies: ["Timeline", "SharedSession", "EventBuffer"], swiftSettings: swiftSettings),
        .testTarget(name: "EventBufferTests", dependencies: ["EventBuffer", "TestSupport", "CDPTransport"], swiftSettings: swiftSettings),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ContentExtractionTests", dependencies: ["ContentExtraction"], swiftSettings: swiftSettings),
    ]
)
