import Foundation
import Postgres
import Testing
import TestSupport

/// A server that asks for a password: a wrong one is a clear connection error that names the
/// cause and never repeats the password; the right one connects.
@Suite struct AuthenticationTests {
    @Test func wrongPassword_IsAClearErrorWithoutThePassword_RightOneConnects() async throws {
        let db = try await TestDatabase.make()
        let role = "pw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let secret = "right-\(UUID().uuidString)"
        try await db.pool.query("CREATE ROLE \(role) LOGIN PASSWORD '\(secret)'")
        try await db.pool.query("GRANT CONNECT ON DATABASE \(db.name) TO \(role)")
        // Only this role must give a password (scram-sha-256) on the cluster's socket; the
        // line goes first in pg_hba.conf, the server reloads, and the file is restored after.
        let hbaFile = try #require(try await db.pool.query("SHOW hba_file").first).decode("hba_file", as: String.self)
        let original = try String(contentsOfFile: hbaFile, encoding: .utf8)
        try ("local all \(role) scram-sha-256\n" + original).write(toFile: hbaFile, atomically: false, encoding: .utf8)
        defer {
            try? original.write(toFile: hbaFile, atomically: false, encoding: .utf8)
            Task { _ = try? await db.pool.query("SELECT pg_reload_conf()") }
        }
        try await db.pool.query("SELECT pg_reload_conf()")

        var options = db.configuration.options
        options["user"] = role
        func configuration(password: String?) throws -> PostgresConfiguration {
            var o = options
            o["password"] = password
            return try PostgresConfiguration(o.keys.sorted().map { "\($0)='\(o[$0] ?? "")'" }.joined(separator: " "))
        }
        // The reload is asynchronous: wait until the server asks this role for a password.
        let deadline = Date().addingTimeInterval(10)
        var asked = false
        while !asked && Date() < deadline {
            do {
                try await PostgresConnection.connect(try configuration(password: nil)).close()
                try await Task.sleep(nanoseconds: 50_000_000)
            } catch let error as PostgresError {
                asked = error.kind == .connection
            }
        }
        #expect(asked, "the server never asked \(role) for a password")

        do {
            try await PostgresConnection.connect(try configuration(password: "wrong-password-123")).close()
            Issue.record("a wrong password was accepted")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.message.contains("authentication failed"), "\(error)")
            #expect(error.message.contains(role), "the message names the user: \(error)")
            #expect(!"\(error)".contains("wrong-password-123"), "the password must not be echoed: \(error)")
        }

        let connection = try await PostgresConnection.connect(try configuration(password: secret))
        defer { connection.close() }
        #expect(try await connection.query("SELECT current_user AS who").first?.decode("who", as: String.self) == role)
    }
}
