import Market

/// The inference layer's importer (in `Market`, which owns the arrow to `Inference`) is the
/// API's importer.
extension InferenceModelImporter: ModelImporter {}
