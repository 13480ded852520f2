import Hummingbird

/// Same handlers as our server's benchmark binary: `GET /health` returns a small constant JSON
/// document, `POST /echo` returns the request body with `Content-Type: application/json`.
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8081
let healthBody = ByteBuffer(string: #"{"status":"ok","service":"proofmarket"}"#)

let router = Router()
router.get("/health") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: healthBody))
}
router.post("/echo") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port))
)
try await app.runService()
