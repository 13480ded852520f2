import Foundation
import TestSupport

/// Headless Chromium driven over the DevTools protocol by `Tests/BrowserDriver/cdp.py` (the
/// Python standard library only; no WebDriver). A test writes a plan of steps, the driver runs
/// them in one browser and returns what each `eval` step read from the page, with everything
/// the browser logged, every request and response, and every Content-Security-Policy
/// violation the pages reported.
struct BrowserSession {
    /// Debian's `chromium`, or the browser `PROOFMARKET_CHROMIUM` names. Missing is an error
    /// that fails the test (the dashboard is only tested if a real browser runs it).
    static func chromium() throws -> String {
        let path = ProcessInfo.processInfo.environment["PROOFMARKET_CHROMIUM"] ?? "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BrowserError("chromium not found at \(path): install Debian's `chromium` package "
                                        + "(`bash scripts/test.sh` does, through scripts/bootstrap.sh), or name a Chromium in PROOFMARKET_CHROMIUM")
        }
        return path
    }

    /// Where the driver is.
    static var driver: String { PythonTools.root.appendingPathComponent("Tests/BrowserDriver/cdp.py").path }

    /// Where the screenshots go (`.build-artifacts/` is ignored by git).
    static var screenshots: URL { PythonTools.root.appendingPathComponent(".build-artifacts/dashboard") }

    private(set) var steps: [[String: Any]] = []

    mutating func viewport(width: Int, height: Int, mobile: Bool, scale: Double = 1) {
        steps.append(["op": "viewport", "width": width, "height": height, "mobile": mobile, "scale": scale])
    }
    mutating func navigate(_ url: String) { steps.append(["op": "navigate", "url": url]) }
    mutating func wait(_ expression: String, seconds: Double = 20) { steps.append(["op": "wait", "expr": expression, "timeout": seconds]) }
    mutating func read(_ name: String, _ expression: String) { steps.append(["op": "eval", "expr": expression, "as": name]) }
    mutating func run(_ expression: String) { read("_", expression) }
    mutating func type(_ selector: String, _ text: String) { steps.append(["op": "type", "selector": selector, "text": text]) }
    mutating func click(_ selector: String) { steps.append(["op": "click", "selector": selector]) }
    mutating func screenshot(_ name: String) {
        steps.append(["op": "screenshot", "path": Self.screenshots.appendingPathComponent(name + ".png").path])
    }

    /// Goes to the dashboard's `hash` (as a person following a link) and waits until `page` has drawn.
    mutating func go(_ hash: String, page: String) {
        // Marked stale first, so the wait cannot see the page before the one asked for.
        // The same address again draws the page anew (no hashchange comes for it).
        run("(() => { const to = \(Self.quoted(hash)); document.getElementById('view').dataset.state = 'stale'; "
            + "if (location.hash === to) { PM.render(); } else { location.hash = to; } return true; })()")
        waitForPage(page)
    }

    mutating func waitForPage(_ page: String) {
        wait("(() => { const v = document.getElementById('view'); return v.dataset.page === \(Self.quoted(page)) && v.dataset.state === 'ready'; })()")
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8), as: UTF8.self)
            .dropFirst().dropLast().description
    }

    /// What the driver reported.
    struct Report {
        let results: [String: Any]
        let console: [String]
        let violations: [[String: Any]]
        let requests: [String]
        let responses: [(url: String, status: Int)]
        let error: String?
    }

    /// Runs every step in one browser (at most `seconds`).
    func run(seconds: Double = 240) async throws -> Report {
        let chromium = try Self.chromium()
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        // A failure's screenshot is the driver's; one left by an earlier run would mislead.
        try? FileManager.default.removeItem(at: Self.screenshots.appendingPathComponent("failure.png"))
        let plan = Self.screenshots.appendingPathComponent("plan.json")
        try JSONSerialization.data(withJSONObject: ["chromium": chromium, "steps": steps], options: [.prettyPrinted]).write(to: plan)
        let (status, output) = try await PythonTools.run(try PythonTools.python(), [Self.driver, plan.path], seconds: seconds)
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BrowserError("the browser driver exited \(status) without a report:\n\(output)")
        }
        let responses = (object["responses"] as? [[String: Any]] ?? []).map { ($0["url"] as? String ?? "", $0["status"] as? Int ?? 0) }
        return Report(results: object["results"] as? [String: Any] ?? [:], console: object["console"] as? [String] ?? [],
                      violations: object["violations"] as? [[String: Any]] ?? [], requests: object["requests"] as? [String] ?? [],
                      responses: responses, error: object["error"] as? String ?? (status == 0 ? nil : "driver exited \(status): \(output)"))
    }
}

/// The browser or its driver could not run.
struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
