import Market

/// The `proof_modes` a worker advertises, at registration or in a heartbeat.
enum ProofModesField {
    /// The modes named in `names`, or nil if absent; `invalid_request` for an unknown one.
    static func parse(_ names: [String]?) throws -> [ProvingMode]? {
        try names.map { list in
            try list.map { name in
                guard let mode = ProvingMode(rawValue: name) else {
                    throw MarketError(.invalidRequest, "proof_modes may hold \(ProvingMode.allCases.map(\.rawValue).joined(separator: ", ")); not \(name)")
                }
                return mode
            }
        }
    }
}

/// `POST /v1/workers/{id}/heartbeat` with a body: the proof modes the worker proves from now on.
struct HeartbeatBody: Codable, Sendable, ValidatedBody {
    var proofModes: [String]?
    func validate() {}
    /// The modes, checked.
    func modes() throws -> [ProvingMode]? { try ProofModesField.parse(proofModes) }
}
