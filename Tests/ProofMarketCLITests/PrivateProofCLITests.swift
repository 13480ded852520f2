import Foundation
import Testing

/// The real `proofmarket` binary in private mode: `model commit --private` writes a hiding
/// commitment and its material, `prove --private` proves with them, and `verify` reads the mode
/// from the proof; mismatched modes, missing material, other contexts and changed bytes are refused.
@Suite struct PrivateProofCLITests {
    typealias CLI = ClampReportTests

    struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }

    /// The `index`th sample digit as an input file.
    static func input(_ index: Int) throws -> String {
        let data = try Data(contentsOf: CLI.root.appendingPathComponent("models/digits-sample.json"))
        let sample = try JSONDecoder().decode(Sample.self, from: data)
        return try CLI.file(["shape": [1, 64], "values": sample.pixels[index].map { $0 * sample.pixelScale }])
    }

    @Test func commitProveVerify_Private_AndEveryMismatchIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pm-private-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (commitment, material, proof) = ("\(dir)/model.pmzc", "\(dir)/model.pmzm", "\(dir)/run.proof")
        let committed = try CLI.run(["model", "commit", CLI.model, "--private", "--out", commitment, "--material-out", material])
        #expect(committed.status == 0 && committed.stdout.contains("private commitment"), "\(committed.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: material)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the material is readable by its owner alone")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: commitment)).prefix(4)) == Array("PMZC".utf8))
        // Hiding: a second commitment of the same model differs.
        let again = try CLI.run(["model", "commit", CLI.model, "--private", "--out", "\(dir)/again.pmzc", "--material-out", "\(dir)/again.pmzm"])
        #expect(again.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/again.pmzc")) != Data(contentsOf: URL(fileURLWithPath: commitment)))

        let input = try Self.input(2)
        let context = "job-7:worker-3:nonce-9"
        let proved = try CLI.run(["prove", "--private", "--model", CLI.model, "--input", input, "--context", context,
                                  "--commitment", commitment, "--material", material, "--out", proof])
        #expect(proved.status == 0 && proved.stdout.contains("private proof"), "\(proved.stdout)\(proved.stderr)")
        let plain = try CLI.run(["infer", "--model", CLI.model, "--input", input])
        let argmax = try #require(plain.stdout.split(separator: "\n").first { $0.contains("argmax") })
        #expect(proved.stdout.contains(argmax), "the private proof's output is the model's: \(proved.stdout) vs \(plain.stdout)")

        let verified = try CLI.run(["verify", "--commitment", commitment, "--input", input, "--proof", proof, "--context", context])
        #expect(verified.status == 0 && verified.stdout.contains("VALID private") && verified.stdout.contains(argmax), "\(verified.stdout)")

        // Another context, another input, the other commitment, a changed byte: INVALID, exit 1.
        let other = try CLI.run(["verify", "--commitment", commitment, "--input", input, "--proof", proof, "--context", "job-8:worker-3:nonce-9"])
        #expect(other.status == 1 && other.stdout.contains("INVALID"), "\(other.stdout)")
        let otherInput = try CLI.run(["verify", "--commitment", commitment, "--input", try Self.input(3), "--proof", proof, "--context", context])
        #expect(otherInput.status == 1 && otherInput.stdout.contains("INVALID"), "\(otherInput.stdout)")
        let otherCommitment = try CLI.run(["verify", "--commitment", "\(dir)/again.pmzc", "--input", input, "--proof", proof, "--context", context])
        #expect(otherCommitment.status == 1 && otherCommitment.stdout.contains("INVALID"), "\(otherCommitment.stdout)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: proof)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/changed.proof"))
        let changed = try CLI.run(["verify", "--commitment", commitment, "--input", input, "--proof", "\(dir)/changed.proof", "--context", context])
        #expect(changed.status == 1 && changed.stdout.contains("INVALID"), "\(changed.stdout)")

        // A private proof against the public commitment, and a public proof against the private one.
        let publicCommitment = "\(dir)/model.commitment", publicProof = "\(dir)/public.proof"
        #expect(try CLI.run(["model", "commit", CLI.model, "--out", publicCommitment]).status == 0)
        let crossed = try CLI.run(["verify", "--commitment", publicCommitment, "--input", input, "--proof", proof, "--context", context])
        #expect(crossed.status == 1 && crossed.stdout.contains("INVALID proof_mode_mismatch"), "\(crossed.stdout)")
        #expect(try CLI.run(["prove", "--model", CLI.model, "--input", input, "--context", context, "--out", publicProof]).status == 0)
        let crossedBack = try CLI.run(["verify", "--commitment", commitment, "--input", input, "--proof", publicProof, "--context", context])
        #expect(crossedBack.status == 1 && crossedBack.stdout.contains("INVALID proof_mode_mismatch"), "\(crossedBack.stdout)")
        let publicVerified = try CLI.run(["verify", "--commitment", publicCommitment, "--input", input, "--proof", publicProof, "--context", context])
        #expect(publicVerified.status == 0 && publicVerified.stdout.contains("VALID public"), "\(publicVerified.stdout)")

        // Neither file: a fresh pair is written beside the proof, and the proof checks against it.
        let fresh = "\(dir)/fresh.proof"
        let bare = try CLI.run(["prove", "--private", "--model", CLI.model, "--input", input, "--context", context, "--out", fresh])
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: fresh + ".material")[.posixPermissions] as? Int) == 0o600)
        let freshVerified = try CLI.run(["verify", "--commitment", fresh + ".commitment", "--input", input, "--proof", fresh, "--context", context])
        #expect(freshVerified.status == 0 && freshVerified.stdout.contains("VALID private"), "\(freshVerified.stdout)")
        // A commitment without its material, or with another commitment's, proves nothing.
        let half = try CLI.run(["prove", "--private", "--model", CLI.model, "--input", input, "--context", context,
                                "--commitment", commitment, "--out", proof])
        #expect(half.status != 0 && half.stderr.contains("private_material_required"), "\(half.stderr)")
        let foreign = try CLI.run(["prove", "--private", "--model", CLI.model, "--input", input, "--context", context,
                                   "--commitment", commitment, "--material", "\(dir)/again.pmzm", "--out", proof])
        #expect(foreign.status != 0 && foreign.stderr.contains("material_mismatch"), "\(foreign.stderr)")
        let noMaterial = try CLI.run(["model", "commit", CLI.model, "--private", "--out", "\(dir)/x.pmzc"])
        #expect(noMaterial.status != 0 && noMaterial.stderr.contains("private_material_required"), "\(noMaterial.stderr)")
    }

    @Test func modelWithAnOperatorWithoutPrivateProof_IsRefusedByName() throws {
        let sigmoid = CLI.root.appendingPathComponent("Tests/InferenceTests/Fixtures/zoo/mlp_activations.torchscript.onnx").path
        let dir = FileManager.default.temporaryDirectory.path
        let tag = UUID().uuidString.prefix(8)
        let refused = try CLI.run(["model", "commit", sigmoid, "--private", "--out", "\(dir)/pm-\(tag).pmzc", "--material-out", "\(dir)/pm-\(tag).pmzm"])
        #expect(refused.status != 0 && refused.stderr.contains("private_unsupported_operator") && refused.stderr.contains("Sigmoid"), "\(refused.stderr)")
        // The same model still commits and proves in public mode.
        #expect(try CLI.run(["model", "commit", sigmoid, "--out", "\(dir)/pm-\(tag).commitment"]).status == 0)
    }
}
