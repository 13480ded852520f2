/// The `models` table: content-addressed (the id is the digest), so registering twice is a no-op.
enum ModelQueries {
    static let columns = """
        id, owner, name, quantisation, shapes, operators, commitment, work_macs, status, failure, created_at, updated_at,
        private_commitment, private_commitment_id, private_operators
        """

    static let modelInsert = NamedQuery("ModelInsert", """
        INSERT INTO models (id, owner, name, onnx, quantisation, shapes, operators, commitment, work_macs, status,
                            failure, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
        ON CONFLICT (id) DO NOTHING
        RETURNING \(columns)
        """)
    static let modelByID = NamedQuery("ModelByID", "SELECT \(columns) FROM models WHERE id = $1")
    static let modelONNX = NamedQuery("ModelONNX", "SELECT status, onnx FROM models WHERE id = $1")
    /// A new upload of a model that failed, or whose import was cut off (still `processing`
    /// since `$4`): back to `processing` with its bytes, to be imported again.
    static let modelRetryImport = NamedQuery("ModelRetryImport", """
        UPDATE models SET status = 'processing', onnx = $2, failure = NULL, updated_at = $3
        WHERE id = $1 AND (status = 'failed' OR (status = 'processing' AND updated_at <= $4))
        RETURNING \(columns)
        """)
    /// `processing` → `ready`, once the background import has committed the model.
    static let modelMarkReady = NamedQuery("ModelMarkReady", """
        UPDATE models SET status = 'ready', quantisation = $2, shapes = $3, operators = $4, commitment = $5,
                          work_macs = $6, updated_at = $7
        WHERE id = $1 AND status = 'processing'
        """)
    /// `processing` → `failed`, with the reason; a failed model keeps no bytes.
    static let modelMarkFailed = NamedQuery("ModelMarkFailed", """
        UPDATE models SET status = 'failed', failure = $2, onnx = ''::bytea, updated_at = $3
        WHERE id = $1 AND status = 'processing'
        """)
    /// The sweeper: up to `$4` imports still `processing` since `$1` were cut off → `failed`.
    static let modelFailStaleImports = NamedQuery("ModelFailStaleImports", """
        UPDATE models SET status = 'failed', failure = $3, onnx = ''::bytea, updated_at = $2
        WHERE id IN (SELECT id FROM models WHERE status = 'processing' AND updated_at <= $1
                     ORDER BY updated_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING id
        """)

    /// A ready model's private parts: the steps' readiness ($2) and, for a private-ready model,
    /// the public part of its hiding commitment ($3, digest $4), set once (a model keeps the
    /// first commitment made for it).
    static let modelSetPrivateParts = NamedQuery("ModelSetPrivateParts", """
        UPDATE models SET private_operators = $2,
                          private_commitment = COALESCE(private_commitment, $3),
                          private_commitment_id = COALESCE(private_commitment_id, $4)
        WHERE id = $1 AND status = 'ready'
        RETURNING private_commitment_id
        """)
    /// The blinding material of a model's private commitment ($2: that commitment's id); kept
    /// only if the model has none yet, so material and commitment always belong together.
    static let modelPrivateMaterialInsert = NamedQuery("ModelPrivateMaterialInsert", """
        INSERT INTO model_private_materials (model_id, commitment_id, material) VALUES ($1, $2, $3)
        ON CONFLICT (model_id) DO NOTHING
        """)
    /// The material, for the worker holding a private job's lock (the market checks that first).
    static let modelPrivateMaterial = NamedQuery("ModelPrivateMaterial", """
        SELECT commitment_id, material FROM model_private_materials WHERE model_id = $1
        """)

    static let all = [modelSetPrivateParts, modelPrivateMaterialInsert, modelPrivateMaterial, modelInsert, modelByID, modelONNX, modelRetryImport, modelMarkReady, modelMarkFailed,
                      modelFailStaleImports]
}
