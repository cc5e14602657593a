-- Patients on a counselor's caseload, single-use pairing codes, the devices
-- that redeemed them, and the consent each patient gave when pairing.

CREATE TABLE patients (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    counselor_id TEXT NOT NULL REFERENCES users (id),
    display_name TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX patients_counselor ON patients (counselor_id);

-- Codes are stored as their SHA-256; the code itself is shown once.
CREATE TABLE pairing_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
) STRICT;

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;
CREATE INDEX devices_patient ON devices (patient_id);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    device_id TEXT NOT NULL REFERENCES devices (id),
    recipient TEXT NOT NULL,
    -- The record kinds shared, as a JSON array of strings.
    kinds TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    signed_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;
CREATE INDEX consents_patient ON consents (patient_id);
