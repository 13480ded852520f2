import Inference

/// Checks of a job's input that need the model's description, made when the job is posted so
/// that a client hears at once what a worker would otherwise find out.
enum InferenceInputCheck {
    /// A model whose input is token ids takes whole numbers inside its vocabulary only:
    /// anything else is refused with `input_id_out_of_range`, naming the value and the ids it
    /// accepts. Other models (or a commitment that does not decode) are left to the existing
    /// checks.
    static func validateTokenIDs(_ input: Tensor, commitment: [UInt8]?) throws {
        guard let commitment, let spec = try? ModelCommitment.spec(inCommitment: commitment), spec.integerInput else { return }
        do {
            _ = try spec.quantizeInput(floats: input.values, shape: input.shape)
        } catch let error where error.code == "input_id_out_of_range" {
            throw MarketError(.inputIDOutOfRange, error.description)
        } catch {
            throw MarketError(.inputShapeMismatch, error.description)
        }
    }
}
