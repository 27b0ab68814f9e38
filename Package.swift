// swift-tools-version: 6.0
import PackageDescription

// C libraries come from pkg-config: FFmpeg and libjpeg-turbo from Debian's -dev packages,
// ONNX Runtime from `.deps/pkgconfig/libonnxruntime.pc`, which `make setup` writes.
// The Makefile puts `.deps/pkgconfig` on PKG_CONFIG_PATH; Package.swift names no absolute path.
// Every target: an import is internal unless written `public import`, and a member is visible
// only through a module the file imports itself (docs/architecture.md), as Hummingbird builds.
let strictImports: [SwiftSetting] = [
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "FaceHarvest",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "episode-run", targets: ["EpisodeRun"]),
    .executable(name: "faceharvest-server", targets: ["FaceHarvestServer"]),
    .library(name: "Artifacts", targets: ["Artifacts"]),
    .library(name: "Media", targets: ["Media"]),
    .library(name: "Inference", targets: ["Inference"]),
    .library(name: "FaceAlignment", targets: ["FaceAlignment"]),
    .library(name: "FaceQuality", targets: ["FaceQuality"]),
    .library(name: "FaceHarvestCore", targets: ["FaceHarvestCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CFFmpeg",
      pkgConfig: "libavformat libavcodec libswscale libavutil",
      providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
    ),
    .systemLibrary(
      name: "CTurboJPEG",
      pkgConfig: "libturbojpeg",
      providers: [.apt(["libturbojpeg0-dev"])]
    ),
    .systemLibrary(
      name: "COnnxRuntime",
      pkgConfig: "libonnxruntime"
    ),
    // The value types every layer shares (pixels, points): no dependency, no C library.
    .target(name: "FaceHarvestCore"),
    .target(
      name: "Artifacts",
      dependencies: [
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "Media",
      dependencies: [
        "CFFmpeg", "CTurboJPEG", "FaceHarvestCore", "ThreadPrimitives",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "Inference",
      dependencies: [
        "COnnxRuntime", "Media", "FaceHarvestCore",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "FaceAlignment",
      dependencies: ["FaceHarvestCore"]
    ),
    .target(
      name: "FaceQuality",
      dependencies: ["FaceAlignment", "FaceHarvestCore"]
    ),
    .target(
      name: "DetectTrack",
      dependencies: [
        "Artifacts", "Inference", "Media", "FaceAlignment", "PipelineConfig", "ThreadPrimitives",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(name: "ThreadPrimitives"),
    .target(
      name: "PipelineConfig",
      dependencies: [.product(name: "Yams", package: "Yams")]
    ),
    .target(
      name: "Harvest",
      dependencies: [
        "Artifacts", "Media", "Inference", "FaceAlignment", "FaceQuality", "PipelineConfig",
        "ThreadPrimitives", .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "Identities",
      dependencies: [
        "Artifacts", "Media", "Inference", "FaceAlignment", "FaceQuality", "PipelineConfig",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The season report: screen time per person across a show's episodes (docs/screentime.md).
    .target(name: "Season", dependencies: ["Artifacts", "Identities"]),
    .target(
      name: "EpisodePipeline",
      dependencies: [
        "Artifacts", "Inference", "DetectTrack", "Harvest", "Identities", "Media",
        "PipelineConfig", .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .target(
      name: "Cleanup",
      dependencies: [
        "Artifacts", "Harvest", "Identities", "Inference",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The PostgreSQL job queue and its workers (docs/job_queue.md).
    .target(
      name: "JobQueue",
      dependencies: [
        "Artifacts", "FaceHarvestCore", "ThreadPrimitives",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        // ConnectionPoolError: PostgresClient's "cannot connect" (its circuit breaker).
        .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The episode pipeline as jobs of the generic queue (docs/job_queue.md).
    .target(
      name: "QueuedPipeline",
      dependencies: [
        "JobQueue", "EpisodePipeline", "Artifacts", "FaceHarvestCore",
        .product(name: "Logging", package: "swift-log"),
      ]),
    .target(
      name: "HTTPApp",
      dependencies: [
        "Artifacts", "Inference", "DetectTrack", "Harvest", "Identities", "PipelineConfig",
        "EpisodePipeline", "ThreadPrimitives", "JobQueue", "Season",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ],
      // The review app's pages, scripts and style (docs/review_app.md).
      resources: [.copy("Resources/app")]
    ),
    .executableTarget(
      name: "FaceHarvestServer",
      dependencies: [
        "HTTPApp", "JobQueue", "Artifacts", "Inference",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The timings `make bench` prints (episode-run bench-*): not part of any product library.
    .target(
      name: "Benchmarks",
      dependencies: [
        "Artifacts", "Media", "Inference", "Harvest", "DetectTrack", "Identities", "ThreadPrimitives",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "EpisodeRun",
      dependencies: [
        "Artifacts", "Media", "Inference", "FaceAlignment", "Harvest", "DetectTrack",
        "Identities", "Cleanup", "EpisodePipeline", "PipelineConfig", "ThreadPrimitives", "JobQueue",
        "QueuedPipeline", "Season",
        "Benchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts"]),
    // Builds videos with a corrupt packet for MediaTests and EndToEndTests; no product uses it.
    .target(name: "CorruptVideoSupport", path: "Tests/CorruptVideoSupport"),
    .target(name: "BuiltExecutableSupport", path: "Tests/BuiltExecutableSupport"),
    .testTarget(name: "MediaTests", dependencies: ["Media", "CorruptVideoSupport"]),
    // A private PostgreSQL server for JobQueueTests and EndToEndTests (initdb, pg_ctl on a free
    // loopback port); no product uses it.
    .target(
      name: "PostgresTestSupport", dependencies: ["ThreadPrimitives", "BuiltExecutableSupport"],
      path: "Tests/PostgresTestSupport"),
    .testTarget(
      name: "JobQueueTests",
      dependencies: [
        "JobQueue", "PostgresTestSupport", "Artifacts", "EpisodePipeline", "ThreadPrimitives",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
      ]),
    .testTarget(
      name: "InferenceTests", dependencies: ["Inference", "FaceAlignment", "Media", "Artifacts"]),
    .testTarget(name: "FaceAlignmentTests", dependencies: ["FaceAlignment", "Media"]),
    .testTarget(name: "FaceQualityTests", dependencies: ["FaceQuality", "FaceAlignment", "Media"]),
    .testTarget(name: "PipelineConfigTests", dependencies: ["PipelineConfig"]),
    .testTarget(
      name: "DetectTrackTests",
      dependencies: ["DetectTrack", "Inference", "Media", "FaceAlignment", "Artifacts"]),
    .testTarget(
      name: "HarvestTests",
      dependencies: ["Harvest", "Inference", "Media", "FaceQuality", "ThreadPrimitives"]
    ),
    .testTarget(name: "FaceHarvestCoreTests", dependencies: ["FaceHarvestCore"]),
    .testTarget(name: "ThreadPrimitivesTests", dependencies: ["ThreadPrimitives"]),
    .testTarget(name: "CleanupTests", dependencies: ["Cleanup"]),
    .testTarget(
      name: "EpisodePipelineTests",
      dependencies: [
        "EpisodePipeline", "PipelineConfig", "DetectTrack", "Harvest", "Identities", "Inference",
        "Artifacts",
      ]),
    .testTarget(
      name: "HTTPAppTests",
      dependencies: [
        "HTTPApp", "Artifacts", "Inference", "JobQueue", "PostgresTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "Yams", package: "Yams"),
      ]),
    // The review app driven in headless Chromium (docs/review_app.md); skip with
    // `swift test --skip BrowserTests`.
    .testTarget(
      name: "BrowserTests",
      dependencies: ["Artifacts", "BuiltExecutableSupport"]),
    .testTarget(
      name: "IdentitiesTests",
      dependencies: ["Identities", "Artifacts", "Inference", "PipelineConfig"]),
    .testTarget(name: "SeasonTests", dependencies: ["Season", "Artifacts", "Identities"]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "Artifacts", "FaceHarvestCore", "Media", "Inference", "HTTPApp", "EpisodePipeline",
        "CorruptVideoSupport",
        "JobQueue", "PostgresTestSupport", "ThreadPrimitives", "BuiltExecutableSupport",
        .product(name: "Logging", package: "swift-log"),
      ]),
  ]
)

for target in package.targets where target.type != .system {
  target.swiftSettings = (target.swiftSettings ?? []) + strictImports
}
