import Foundation
import Inference

/// The proof mode a job asks for and a proof declares (docs/PROTOCOL.md): `public` (v1, the
/// trace in the clear) or `private` (v2, zero knowledge over a hiding commitment). The
/// market's name for the inference layer's `ProofMode`, with the same raw values, which are
/// what the database, the wire and the events hold.
public enum ProvingMode: String, Sendable, Codable, CaseIterable {
    /// Protocol v1.
    case `public`
    /// Protocol v2.
    case `private`
}

/// One step of a model with whether it has a private proof, in graph order.
public struct PrivateOperator: Sendable, Codable, Equatable {
    /// The step's operator name.
    public let name: String
    /// Whether the private mode proves it.
    public let privateReady: Bool

    /// Bundles one step.
    public init(name: String, privateReady: Bool) {
        self.name = name
        self.privateReady = privateReady
    }
}

/// A model's hiding commitment for private proofs, as the market stores it.
public struct PrivateModelCommitment: Sendable, Equatable {
    /// The digest of `encoded` (lowercase hex SHA-256): what the model's page names.
    public let id: String
    /// The public part, safe to publish: what a private proof is checked against.
    public let encoded: [UInt8]
    /// The blinding material: secret, given only to the worker holding a private job's lock.
    public let material: [UInt8]

    /// Bundles a commitment and its material.
    public init(id: String, encoded: [UInt8], material: [UInt8]) {
        self.id = id
        self.encoded = encoded
        self.material = material
    }
}

/// The private proof system as the market uses it: which steps it proves, a hiding commitment
/// per model, and the check of a private proof. The coordinator passes the inference layer's
/// (`InferencePrivateProofs`); a process that never takes private jobs passes none.
public protocol PrivateProofSystem: Sendable {
    /// Each step of the model with whether it has a private proof, in graph order.
    func operators(_ spec: ModelSpec) -> [PrivateOperator]
    /// A fresh hiding commitment of a private-ready model and its blinding material.
    func commit(_ model: QuantizedModel) throws -> PrivateModelCommitment
    /// Checks a private proof against the public part of a commitment; the proven output, or
    /// the failure's stable code and message. Never traps on untrusted bytes.
    func verify(commitment: [UInt8], input: [Int64], proof: [UInt8], context: BindingContext)
        -> Result<[Int64], PrivateProofFailure>
    /// Checks a private proof that hides its input (version 2) and the worker's opening of the
    /// input commitment it names; the proven output, that commitment and the opened input, or
    /// the failure's stable code and message (`input_opening_required` without an opening,
    /// `input_opening_malformed`, `input_opening_mismatch`). Never traps on untrusted bytes.
    func verifyHidingInput(commitment: [UInt8], proof: [UInt8], opening: [UInt8]?, context: BindingContext)
        -> Result<HiddenInputVerdict, PrivateProofFailure>
    /// The mode a proof's bytes declare; nil for neither.
    func mode(of proof: [UInt8]) -> ProvingMode?
}

/// What a verified hidden-input proof and the opening of its input commitment show.
public struct HiddenInputVerdict: Sendable, Equatable {
    /// The proven output.
    public let output: [Int64]
    /// The input commitment the proof names (PMZX bytes): public, what the receipt carries.
    public let inputCommitment: [UInt8]
    /// Its id (lowercase hex SHA-256 of the bytes).
    public let inputCommitmentID: String
    /// The quantised input the opening opens the commitment to.
    public let openedInput: [Int64]

    /// Bundles a verdict.
    public init(output: [Int64], inputCommitment: [UInt8], inputCommitmentID: String, openedInput: [Int64]) {
        self.output = output
        self.inputCommitment = inputCommitment
        self.inputCommitmentID = inputCommitmentID
        self.openedInput = openedInput
    }
}

/// Why a private proof (or commitment) was refused: a stable code and a sentence.
public struct PrivateProofFailure: Error, Sendable, Equatable {
    /// The stable code (`private_check_failed`, `malformed_proof`, …).
    public let code: String
    /// For people.
    public let message: String

    /// Bundles a failure.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension PrivateProofSystem {
    /// The names of the steps with no private proof (empty: the model proves privately).
    public func unsupportedOperators(_ spec: ModelSpec) -> [String] {
        operators(spec).filter { !$0.privateReady }.map(\.name)
    }
}
