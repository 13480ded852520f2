// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Our side of the HTTP benchmark: `HTTPServer` from the root package serving the same two
/// routes as the Hummingbird peer. The root package's identity is its folder's name, which
/// depends on where it was cloned, so it is computed here rather than spelled out.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../..").standardizedFileURL
let package = Package(
    name: "OurServer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: root.path),
    ],
    targets: [
        .executableTarget(name: "OurServer", dependencies: [
            .product(name: "HTTPServer", package: root.lastPathComponent),
        ]),
    ]
)
