import Artifacts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HTTPApp

@Suite("Video with Range requests")
struct VideoRouteTests {
  @Test(
    "a Range header is one range, clipped, or unsatisfiable",
    arguments: [
      (nil, ByteRangeRequest.whole), ("items=0-1", .whole), ("bytes=0-0", .range(0...0)),
      ("bytes=10-19", .range(10...19)), ("bytes=990-5000", .range(990...999)),
      ("bytes=100-", .range(100...999)), ("bytes=-1", .range(999...999)),
      ("bytes=-5000", .range(0...999)), ("bytes=1000-", .unsatisfiable),
      ("bytes=20-10", .unsatisfiable), ("bytes=-0", .unsatisfiable), ("bytes=abc", .unsatisfiable),
      ("bytes=0-1,5-9", .unsatisfiable), ("bytes=+1-2", .unsatisfiable),
      ("bytes=-", .unsatisfiable), ("bytes= 5 - 9 ", .range(5...9)),
    ] as [(String?, ByteRangeRequest)])
  func parse(header: String?, expected: ByteRangeRequest) {
    #expect(ByteRangeRequest(header: header, size: 1000) == expected)
  }

  @Test("an empty file has no range to give")
  func emptyFile() {
    #expect(ByteRangeRequest(header: "bytes=0-", size: 0) == .unsatisfiable)
    #expect(ByteRangeRequest(header: nil, size: 0) == .whole)
  }

  @Test("first byte, last bytes, an open range, the whole file, and 416 with the size")
  func ranges() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let video = try Data(contentsOf: fixture.layout.video(try .init(ServerFixture.episode)))
    let size = video.count
    let (app, _) = try fixture.application()
    let path = "/episodes/\(ServerFixture.episode)/video"
    try await app.test(.router) { client in
      let cases: [(String?, HTTPResponse.Status, Range<Int>?, String?)] = [
        ("bytes=0-0", .partialContent, 0..<1, "bytes 0-0/\(size)"),
        (
          "bytes=-100", .partialContent, (size - 100)..<size,
          "bytes \(size - 100)-\(size - 1)/\(size)"
        ),
        ("bytes=1000-", .partialContent, 1000..<size, "bytes 1000-\(size - 1)/\(size)"),
        (nil, .ok, 0..<size, nil),
        ("bytes=\(size)-", .rangeNotSatisfiable, nil, "bytes */\(size)"),
        ("bytes=x-y", .rangeNotSatisfiable, nil, "bytes */\(size)"),
      ]
      for (range, status, bytes, contentRange) in cases {
        var headers: HTTPFields = [:]
        if let range { headers[.range] = range }
        try await client.execute(uri: path, method: .get, headers: headers) { response in
          #expect(response.status == status, "\(range ?? "no Range")")
          #expect(response.headers[.contentRange] == contentRange, "\(range ?? "no Range")")
          #expect(response.headers[.acceptRanges] == "bytes")
          if let bytes {
            #expect(Data(response.body.readableBytesView) == video[bytes], "\(range ?? "no Range")")
            #expect(response.headers[.contentType] == "video/mp4")
          }
        }
      }
    }
  }

  @Test("a bad episode id is 400 before any file is opened; a missing video is 404")
  func refusals() async throws {
    let fixture = try ServerFixture(withTracks: false)
    defer { fixture.remove() }
    let (app, _) = try fixture.application()
    try await app.test(.router) { client in
      for id in ["..", "a%2F..%2F..", "Sample"] {
        try await client.execute(uri: "/episodes/\(id)/video", method: .get) { response in
          #expect(response.status == .badRequest, "\(id)")
        }
      }
      try await client.execute(uri: "/episodes/nothing-s01e01/video", method: .get) { response in
        #expect(response.status == .notFound)
      }
    }
  }
}
