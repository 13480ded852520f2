import HTTPServer

/// Same handlers as the Hummingbird peer: `GET /health` returns a small constant JSON
/// document, `POST /echo` returns the request body with `Content-Type: application/json`.
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8080
let healthBody = Array(#"{"status":"ok","service":"proofmarket"}"#.utf8)

let router = Router()
router.get("/health") { _, _ in
    HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: healthBody)
}
router.post("/echo") { request, _ in
    HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: request.body)
}
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.connectionCountMax = 4096
let server = HTTPServer(configuration: configuration, responder: router)
let signals = ShutdownSignals.install { await server.shutdown() }
try await server.run()
_ = signals
