// swift-tools-version:5.9
import Foundation
import PackageDescription

// An example of a package that depends on RecVec pinned by version, as any consumer would.
// The test suite points RECVEC_PACKAGE_URL at a local clone tagged with a version.
let recvecURL = ProcessInfo.processInfo.environment["RECVEC_PACKAGE_URL"] ?? "https://github.com/recvec/recvec.git"

let package = Package(
    name: "consumer",
    dependencies: [
        .package(url: recvecURL, from: "0.1.0"),
    ],
    targets: [
        .executableTarget(name: "consumer", dependencies: [.product(name: "RecVec", package: "recvec")]),
    ]
)
