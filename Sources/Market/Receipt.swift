import COpenSSL
import Foundation
import Postgres

/// The coordinator's Ed25519 key (OpenSSL), which signs receipts.
public struct CoordinatorKey: Sendable {
    /// The 32-byte private seed.
    let seed: [UInt8]
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// A key from its 32-byte seed; nil if OpenSSL refuses it.
    public init?(seed: [UInt8]) {
        guard seed.count == 32, let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, 32) else { return nil }
        defer { EVP_PKEY_free(key) }
        var length = 32
        var pub = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(key, &pub, &length) == 1, length == 32 else { return nil }
        self.seed = seed
        self.publicKey = pub
    }

    /// A new random key.
    static func generate() -> CoordinatorKey? { CoordinatorKey(seed: Crypto.randomBytes(32)) }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, 32),
              let ctx = EVP_MD_CTX_new() else { fatalError("OpenSSL cannot make an Ed25519 context") }
        defer { EVP_PKEY_free(key); EVP_MD_CTX_free(ctx) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1,
              EVP_DigestSign(ctx, &signature, &length, message, message.count) == 1, length == 64 else {
            fatalError("OpenSSL failed to sign with Ed25519")
        }
        return signature
    }

    /// Whether `signature` is `publicKey`'s Ed25519 signature of `message`.
    public static func verify(publicKey: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64,
              let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, 32) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else { return false }
        return EVP_DigestVerify(ctx, signature, 64, message, message.count) == 1
    }
}

/// What a client gets for a fulfilled job: the output, the proof, and the coordinator's
/// signature binding them to the job, the model (its id and the digest of its commitment) and
/// the input.
///
/// Checking one takes the coordinator's key from somewhere the client trusts (pinned, never the
/// `coordinatorPublicKey` carried here, which anyone can set), and the commitment whose digest
/// is signed: then the proof checked against that commitment is the model's, not any other's.
public struct Receipt: Sendable, Codable, Equatable {
    /// The format of the signed message; a verifier refuses versions it does not know.
    /// Version 1 signed no commitment digest, so nothing tied a commitment to the model id.
    public let receiptVersion: Int
    /// The job.
    public let jobID: UUID
    /// The model (its id is its digest).
    public let modelID: String
    /// SHA-256 (hex) of the commitment the proof is checked against, as `GET /v1/models/{id}`
    /// gives it: the model's `commitment` for a public proof, its `private_commitment` (whose
    /// id is this digest) for a private one.
    public let commitmentDigest: String
    /// SHA-256 (hex) of the input tensor's canonical JSON; for a job that hides its input, the
    /// id of the input commitment its proof names (SHA-256 of the commitment's bytes) in its place,
    /// so that nothing signed is a function of the input alone.
    public let inputDigest: String
    /// The verified output; for a batch, every item's output side by side (shape `[B, n]`,
    /// signed as one) with each item's clamp counts.
    public let output: VerifiedOutput
    /// The output's argmax (not signed: a verifier recomputes it from the output).
    public let argmax: Int?
    /// The proof, base64.
    public let proof: String
    /// SHA-256 (hex) of the proof bytes.
    public let proofDigest: String
    /// The worker that proved it.
    public let workerID: UUID
    /// The lock's nonce: the proof is bound to job, worker and nonce, so checking the proof
    /// offline needs it.
    public let nonce: String
    /// The coordinator's Ed25519 public key (hex): informative only, a verifier uses its pinned copy.
    public let coordinatorPublicKey: String
    /// Ed25519 signature (hex) over `Receipt.message(…)`.
    public let signature: String
    /// The proof's mode (not signed: the proof's bytes declare it, and their digest is signed).
    public var proofMode: ProvingMode = .public
    /// A hidden-input job's input commitment id (the same as `inputDigest`, which is signed);
    /// nil for a job whose input is public.
    public var inputCommitmentID: String? = nil
    /// A hidden-input job's input commitment (PMZX bytes, hex): what the proof is checked
    /// against in place of the input, and what an opening opens; nil for a public input.
    public var inputCommitment: String? = nil

    /// The receipt format this coordinator signs.
    public static let version = 2

    /// The signed bytes of a version 2 receipt: a domain tag and every bound value, `|`-separated.
    public static func message(jobID: UUID, modelID: String, commitmentDigest: String, inputDigest: String, output: VerifiedOutput,
                               proofDigest: String, workerID: UUID, nonce: String) -> [UInt8] {
        Array(["proofmarket-receipt-v2", jobID.uuidString.lowercased(), modelID, commitmentDigest, inputDigest,
               output.shape.map(String.init).joined(separator: ","),
               output.quantised.map(String.init).joined(separator: ","), proofDigest,
               workerID.uuidString.lowercased(), nonce].joined(separator: "|").utf8)
    }

    /// The input digest a receipt names: hex SHA-256 of the tensor's canonical JSON (sorted keys).
    public static func inputDigest(_ input: Tensor) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Crypto.hex(Crypto.sha256(Array(try encoder.encode(input))))
    }

    /// The proof digest a receipt names: hex SHA-256 of the proof bytes.
    public static func proofDigest(_ proof: [UInt8]) -> String { Crypto.hex(Crypto.sha256(proof)) }

    /// The commitment digest a receipt names: hex SHA-256 of the commitment bytes.
    public static func commitmentDigest(_ commitment: [UInt8]) -> String { Crypto.hex(Crypto.sha256(commitment)) }

    /// Whether the signature is `publicKey`'s over this receipt's values. `publicKey` must come
    /// from where the checker trusts it (pinned, or the coordinator's own store), never from
    /// the receipt itself.
    public func isSigned(by publicKey: [UInt8]) -> Bool {
        guard receiptVersion == Self.version, let sig = Self.bytes(hex: signature) else { return false }
        let message = Self.message(jobID: jobID, modelID: modelID, commitmentDigest: commitmentDigest, inputDigest: inputDigest,
                                   output: output, proofDigest: proofDigest, workerID: workerID, nonce: nonce)
        return CoordinatorKey.verify(publicKey: publicKey, message: message, signature: sig)
    }

    /// Hex to bytes (keys, signatures and commitments travel as hex); nil if not hex.
    public static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

extension Market {
    /// The coordinator's signing key, created by the first replica that asks.
    public func coordinatorKey() async throws -> CoordinatorKey {
        if let row = try await pool.query(CoordinatorKeyQueries.coordinatorKey.sql).first,
           let key = CoordinatorKey(seed: try row.decode("private_key")) { return key }
        guard let fresh = CoordinatorKey.generate() else { throw PostgresError(.decoding, "OpenSSL cannot make an Ed25519 key") }
        try await pool.query(CoordinatorKeyQueries.coordinatorKeyInsert.sql, [.bytea(fresh.seed), .bytea(fresh.publicKey)])
        let row = try await pool.query(CoordinatorKeyQueries.coordinatorKey.sql).first.orThrow("no coordinator key")
        return try CoordinatorKey(seed: try row.decode("private_key")).orThrow("the stored coordinator key is unusable")
    }

    /// The signed receipt of a fulfilled job (its client, an admin, or the worker that proved it).
    public func receipt(of jobID: UUID, by principal: Principal) async throws -> Receipt {
        let job = try await job(jobID, by: principal)
        guard job.status == .fulfilled, let output = try await fulfilledOutput(of: job), let worker = job.lockedBy,
              let proof = try await pool.query(JobQueries.jobProof.sql, [.uuid(jobID)]).first?.decode("proof", as: [UInt8]?.self) else {
            throw MarketError(.jobNotFulfilled, "job \(jobID) is \(job.status.rawValue); only a fulfilled job has a receipt")
        }
        let model = job.proofMode == .private ? try await withPrivateCommitment(job.modelID) : try await self.model(job.modelID)
        let commitment = try (job.proofMode == .private ? model.privateCommitment : model.commitment)
            .orThrow("model \(job.modelID) has no \(job.proofMode.rawValue) commitment")
        let commitmentDigest = Receipt.commitmentDigest(commitment)
        // A hidden input is named by its commitment alone: a digest of the input would let
        // anyone who can guess it confirm the guess.
        let hiddenCommitment = try job.hideInput ? job.inputCommitment.orThrow("hidden-input job \(jobID) has no input commitment") : nil
        let inputDigest = try hiddenCommitment.map(Receipt.commitmentDigest) ?? Receipt.inputDigest(job.input)
        let proofDigest = Receipt.proofDigest(proof)
        let nonce = job.nonce ?? ""
        let key = try await coordinatorKey()
        let message = Receipt.message(jobID: jobID, modelID: job.modelID, commitmentDigest: commitmentDigest, inputDigest: inputDigest,
                                      output: output, proofDigest: proofDigest, workerID: worker, nonce: nonce)
        return Receipt(receiptVersion: Receipt.version, jobID: jobID, modelID: job.modelID, commitmentDigest: commitmentDigest,
                       inputDigest: inputDigest, output: output, argmax: output.items > 1 ? nil : output.argmax,
                       proof: Data(proof).base64EncodedString(), proofDigest: proofDigest, workerID: worker, nonce: nonce,
                       coordinatorPublicKey: Crypto.hex(key.publicKey), signature: Crypto.hex(key.sign(message)),
                       proofMode: job.proofMode, inputCommitmentID: hiddenCommitment.map { _ in inputDigest },
                       inputCommitment: hiddenCommitment.map(Crypto.hex))
    }
}
