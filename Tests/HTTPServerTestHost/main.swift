// A bare HTTPServer in its own process, for tests that must change process-wide state (the
// descriptor limit) or measure the server's CPU time apart from the test runner's.
//
//   HTTPServerTestHost [--descriptors N] [--soft-descriptors N] [--reserve N] [--hog N]
//
// --descriptors sets the soft and hard RLIMIT_NOFILE before the server starts, and
// --soft-descriptors then lowers the soft one alone (the server raises it again); --reserve is
// `descriptorsReservedCount`; --hog opens that many descriptors after the start, standing in
// for a database pool and files that eat into the reserve. Prints one line,
// `listening PORT cap CAP hogged N`, then serves `/health` until SIGTERM.
import Glibc
import HTTPServer
import Logging

var options: [String: Int] = [:]
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let name = arguments.next() {
    guard name.hasPrefix("--"), let value = arguments.next().flatMap({ Int($0) }) else {
        print("usage: HTTPServerTestHost [--descriptors N] [--soft-descriptors N] [--reserve N] [--hog N]")
        exit(2)
    }
    options[String(name.dropFirst(2))] = value
}

if let descriptors = options["descriptors"] {
    var limit = rlimit(rlim_cur: rlim_t(descriptors), rlim_max: rlim_t(descriptors))
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { print("setrlimit failed: errno \(errno)"); exit(1) }
}

if let soft = options["soft-descriptors"] {
    var limit = rlimit()
    _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = rlim_t(soft)
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { print("setrlimit failed: errno \(errno)"); exit(1) }
}

var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
configuration.loopCount = 1
if let reserve = options["reserve"] { configuration.descriptorsReservedCount = reserve }
let router = Router()
router.get("/health") { _, _ in try .json(["status": "ok"]) }
var logger = Logger(label: "http-test-host")
logger.logLevel = .error
let server = HTTPServer(configuration: configuration, responder: router, logger: logger)
try server.start()
var hogged: [Int32] = []
for _ in 0..<(options["hog"] ?? 0) {
    let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
    if fd >= 0 { hogged.append(fd) }
}
// One write(2), unbuffered, so the test sees the line at once.
let line = Array("listening \(server.localPort) cap \(server.connectionCap) hogged \(hogged.count)\n".utf8)
_ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
let signals = ShutdownSignals.install { await server.shutdown() }
try await server.run()
_ = signals
