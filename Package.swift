// swift-tools-version:5.9
import PackageDescription

// RecVec: train, store and serve embeddings for recommender systems.
// The hot loops live in the C target CKernels (threads through libomp's runtime, SIMD by
// runtime dispatch). No target uses unsafeFlags, so other packages can depend on RecVec
// pinned by version.

let package = Package(
    name: "RecVec",
    products: [
        // MARK: public products
        .library(name: "RecVec", targets: ["RecVec"]),
        .executable(name: "recvec", targets: ["recvec"]),
        .executable(name: "kbench", targets: ["kbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only RecVecServer (and so the `recvec` executable) uses these; the RecVec library
        // product builds none of them (Tests/RecVecCLITests/ConsumerPackageTests checks).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        // Documentation only: `swift package generate-documentation --target RecVec` (README "Documentation").
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // MARK: implementation
        .target(
            name: "CKernels",
            path: "CKernels",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("omp5"), .linkedLibrary("m")]
        ),
        // zlib, for .gz inputs (Debian/Ubuntu: zlib1g-dev, which .ci/run installs when missing).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "RecVec", dependencies: ["CKernels", "CZlib"]),
        // Plain-Swift twins of every C kernel: the oracle for tests, the baseline for kbench.
        .target(name: "KernelTwins", dependencies: ["RecVec"]),
        // The HTTP service (`recvec serve`): Hummingbird 2 over SwiftNIO, metrics in Prometheus text.
        .target(
            name: "RecVecServer",
            dependencies: [
                "RecVec",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["openapi.yaml"]
        ),
        .executableTarget(
            name: "recvec",
            dependencies: ["RecVec", "RecVecServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "kbench",
            dependencies: ["RecVec", "KernelTwins", "CKernels", "BenchSupport"],
            path: "Benchmarks/kbench"
        ),
        // HNSW recall, QPS and build time against exact search (and hnswlib through Benchmarks/peers).
        .executableTarget(name: "annbench", dependencies: ["RecVec", "BenchSupport"], path: "Benchmarks/annbench",
                         exclude: ["RESULTS.md"]),
        // Online path: request latency p50/p99 over a published version.
        .executableTarget(name: "servebench", dependencies: ["RecVec", "BenchSupport"], path: "Benchmarks/servebench"),
        // The documented library path, CSV to recommendations (README "Library use"); run by the CLI tests.
        .executableTarget(name: "csv-to-recommendations", dependencies: ["RecVec"], path: "Examples/csv-to-recommendations"),
        // What the three benchmarks share: seeded inputs, the header's machine and build, clocks.
        .target(name: "BenchSupport", dependencies: ["RecVec"], path: "Benchmarks/BenchSupport"),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["RecVec"], path: "Tests/TestSupport"),
        .testTarget(name: "CKernelsTests", dependencies: ["RecVec", "KernelTwins", "CKernels", "TestSupport"]),
        // Resources: small public-domain fixtures (the karate graph), so no test of them needs ../shared.
        .testTarget(name: "RecVecTests", dependencies: ["RecVec", "KernelTwins", "TestSupport"],
                    resources: [.copy("Resources/karate")]),
        // End to end: runs the built `recvec` binary and checks exit status, stdout and stderr.
        .testTarget(name: "RecVecCLITests", dependencies: ["TestSupport"], exclude: ["Golden"]),
        // The HTTP service on loopback, with URLSession as the client.
        .testTarget(name: "RecVecServerTests", dependencies: ["RecVec", "RecVecServer", "TestSupport",
                                                             .product(name: "Logging", package: "swift-log")]),
    ]
)
