/// The `models` table: content-addressed (the id is the digest), so registering twice is a no-op.
enum ModelQueries {
    static let columns = """
        id, owner, name, quantisation, shapes, operators, commitment, work_macs, status, failure, created_at, updated_at
        """

    static let modelInsert = NamedQuery("ModelInsert", """
        INSERT INTO models (id, owner, name, onnx, quantisation, shapes, operators, commitment, work_macs, status,
                            failure, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
        ON CONFLICT (id) DO NOTHING
        RETURNING \(columns)
        """)
    static let modelByID = NamedQuery("ModelByID", "SELECT \(columns) FROM models WHERE id = $1")
    static let modelONNX = NamedQuery("ModelONNX", "SELECT onnx FROM models WHERE id = $1")
    /// `processing` → `ready`, once the background import has committed the model.
    static let modelMarkReady = NamedQuery("ModelMarkReady", """
        UPDATE models SET status = 'ready', quantisation = $2, shapes = $3, operators = $4, commitment = $5,
                          work_macs = $6, updated_at = $7
        WHERE id = $1 AND status = 'processing'
        """)
    /// `processing` → `failed`, with the reason.
    static let modelMarkFailed = NamedQuery("ModelMarkFailed", """
        UPDATE models SET status = 'failed', failure = $2, updated_at = $3 WHERE id = $1 AND status = 'processing'
        """)

    static let all = [modelInsert, modelByID, modelONNX, modelMarkReady, modelMarkFailed]
}
