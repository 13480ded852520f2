-- What a job does with an input that the model's fixed-point scales cannot hold: `allow`
-- (the values are clamped to the range and the count is reported with the output) or
-- `refuse` (the job is refused at submission when its quantised input clamps, and a proof
-- of a run that clamped is rejected with reason `clamped_values`).
ALTER TABLE jobs ADD COLUMN clamp_policy TEXT NOT NULL DEFAULT 'allow'
    CONSTRAINT jobs_clamp_policy_known CHECK (clamp_policy IN ('allow', 'refuse'));
