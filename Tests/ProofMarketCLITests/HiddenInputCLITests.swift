import Foundation
import Testing

/// The real `proofmarket` binary with `prove --private --hide-input`: the proof verifies
/// without the input and prints the input commitment's id; `--input-opening` checks the
/// opening against that commitment (and `--input`); every misuse has its stable code.
@Suite struct HiddenInputCLITests {
    typealias CLI = ClampReportTests

    @Test func proveHidingInput_VerifyWithoutInput_AndCheckTheOpening() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pm-hidden-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (commitment, material) = ("\(dir)/model.pmzc", "\(dir)/model.pmzm")
        #expect(try CLI.run(["model", "commit", CLI.model, "--private", "--out", commitment, "--material-out", material]).status == 0)
        let input = try PrivateProofCLITests.input(2), otherInput = try PrivateProofCLITests.input(3)
        let context = "job-7:worker-3:nonce-9"
        func prove(_ input: String, _ out: String) throws -> CLI.Run {
            try CLI.run(["prove", "--private", "--hide-input", "--model", CLI.model, "--input", input, "--context", context,
                         "--commitment", commitment, "--material", material, "--out", out])
        }
        let (proof, otherProof) = ("\(dir)/run.proof", "\(dir)/other.proof")
        let proved = try prove(input, proof)
        #expect(proved.status == 0 && proved.stdout.contains("input hidden"), "\(proved.stdout)\(proved.stderr)")
        #expect(try prove(otherInput, otherProof).status == 0)
        let opening = proof + ".input-opening"
        #expect((try FileManager.default.attributesOfItem(atPath: opening)[.posixPermissions] as? Int) == 0o600)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: opening)).prefix(4)) == Array("PMZI".utf8))

        // No --input: VALID, with the output and the input commitment's id.
        let verified = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context])
        #expect(verified.status == 0 && verified.stdout.contains("VALID private hidden input"), "\(verified.stdout)")
        let plain = try CLI.run(["infer", "--model", CLI.model, "--input", input])
        let argmax = try #require(plain.stdout.split(separator: "\n").first { $0.contains("argmax") })
        #expect(verified.stdout.contains(argmax), "\(verified.stdout) vs \(plain.stdout)")
        let id = try #require(verified.stdout.split(separator: "\n").first { $0.hasPrefix("input commitment ") })
            .dropFirst("input commitment ".count)
        #expect(id.count == 64 && id.allSatisfy { $0.isHexDigit })
        let otherVerified = try CLI.run(["verify", "--commitment", commitment, "--proof", otherProof, "--context", context])
        #expect(otherVerified.status == 0 && !otherVerified.stdout.contains(String(id)), "two inputs, two commitments")

        // The opening, alone and with the input; with another input; another proof's opening.
        let opened = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context, "--input-opening", opening])
        #expect(opened.status == 0 && opened.stdout.contains("opening checked"), "\(opened.stdout)")
        let openedWithInput = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context,
                                           "--input-opening", opening, "--input", input])
        #expect(openedWithInput.status == 0 && openedWithInput.stdout.contains("opening checked"), "\(openedWithInput.stdout)")
        let differs = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context,
                                   "--input-opening", opening, "--input", otherInput])
        #expect(differs.status == 1 && differs.stdout.contains("INVALID input_opening_differs"), "\(differs.stdout)")
        let foreign = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context,
                                   "--input-opening", otherProof + ".input-opening"])
        #expect(foreign.status == 1 && foreign.stdout.contains("INVALID input_opening_mismatch"), "\(foreign.stdout)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: opening)))
        bytes.removeLast()
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/short.opening"))
        let short = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context,
                                 "--input-opening", "\(dir)/short.opening"])
        #expect(short.status == 1 && short.stdout.contains("INVALID input_opening_malformed"), "\(short.stdout)")

        // --input without the opening proves nothing about the input; another context is refused.
        let bare = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", context, "--input", input])
        #expect(bare.status == 1 && bare.stdout.contains("INVALID input_opening_required"), "\(bare.stdout)")
        let otherContext = try CLI.run(["verify", "--commitment", commitment, "--proof", proof, "--context", "job-8:worker-3:nonce-9"])
        #expect(otherContext.status == 1 && otherContext.stdout.contains("INVALID private_check_failed"), "\(otherContext.stdout)")

        // A proof with a public input: --input is required, an opening has nothing to open.
        let publicInput = "\(dir)/public.proof"
        #expect(try CLI.run(["prove", "--private", "--model", CLI.model, "--input", input, "--context", context,
                             "--commitment", commitment, "--material", material, "--out", publicInput]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: publicInput + ".input-opening"))
        let noInput = try CLI.run(["verify", "--commitment", commitment, "--proof", publicInput, "--context", context])
        #expect(noInput.status == 1 && noInput.stdout.contains("INVALID input_required"), "\(noInput.stdout)")
        let notHidden = try CLI.run(["verify", "--commitment", commitment, "--proof", publicInput, "--context", context,
                                     "--input", input, "--input-opening", opening])
        #expect(notHidden.status == 1 && notHidden.stdout.contains("INVALID input_not_hidden"), "\(notHidden.stdout)")

        // --hide-input is for private proofs.
        let publicHidden = try CLI.run(["prove", "--hide-input", "--model", CLI.model, "--input", input, "--context", context,
                                        "--out", "\(dir)/p.proof"])
        #expect(publicHidden.status != 0 && publicHidden.stderr.contains("hide_input_requires_private"), "\(publicHidden.stderr)")
    }
}
