-- The rindexer event tables of the reference service (same names, columns and keys), so
-- that users switching to Courier keep their tables, queries and dashboards.
-- Amounts are TEXT (uint256 does not fit BIGINT), written as decimal digits.

CREATE TABLE IF NOT EXISTS atom_created_events (
  term_id TEXT NOT NULL,
  creator TEXT NOT NULL,
  atom_wallet TEXT NOT NULL,
  atom_data TEXT NOT NULL,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS atom_created_events_block_number_idx ON atom_created_events (block_number);
CREATE INDEX IF NOT EXISTS atom_created_events_term_id_idx ON atom_created_events (term_id);

CREATE TABLE IF NOT EXISTS deposited_events (
  sender TEXT NOT NULL,
  receiver TEXT NOT NULL,
  term_id TEXT NOT NULL,
  curve_id TEXT NOT NULL,
  assets TEXT NOT NULL,
  shares TEXT NOT NULL,
  total_shares TEXT NOT NULL,
  assets_after_fees TEXT NOT NULL,
  vault_type SMALLINT NOT NULL,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS deposited_events_block_number_idx ON deposited_events (block_number);
CREATE INDEX IF NOT EXISTS deposited_events_term_id_idx ON deposited_events (term_id);

CREATE TABLE IF NOT EXISTS triple_created_events (
  term_id TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  predicate_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  creator TEXT NOT NULL,
  counter_term_id TEXT,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS triple_created_events_block_number_idx ON triple_created_events (block_number);
CREATE INDEX IF NOT EXISTS triple_created_events_term_id_idx ON triple_created_events (term_id);

CREATE TABLE IF NOT EXISTS redeemed_events (
  sender TEXT NOT NULL,
  receiver TEXT NOT NULL,
  term_id TEXT NOT NULL,
  curve_id TEXT NOT NULL,
  assets TEXT NOT NULL,
  shares TEXT NOT NULL,
  total_shares TEXT NOT NULL,
  fees TEXT NOT NULL,
  vault_type SMALLINT NOT NULL,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS redeemed_events_block_number_idx ON redeemed_events (block_number);
CREATE INDEX IF NOT EXISTS redeemed_events_term_id_idx ON redeemed_events (term_id);

CREATE TABLE IF NOT EXISTS share_price_changed_events (
  term_id TEXT NOT NULL,
  curve_id TEXT NOT NULL,
  share_price TEXT NOT NULL,
  total_assets TEXT NOT NULL,
  total_shares TEXT NOT NULL,
  vault_type SMALLINT NOT NULL,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS share_price_changed_events_block_number_idx ON share_price_changed_events (block_number);
CREATE INDEX IF NOT EXISTS share_price_changed_events_term_id_idx ON share_price_changed_events (term_id);

CREATE TABLE IF NOT EXISTS generic_events (
  event_name TEXT NOT NULL,
  event_data JSONB NOT NULL,
  transaction_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  address TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  block_timestamp TIMESTAMPTZ NOT NULL,
  network TEXT NOT NULL,
  transaction_index BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_hash, log_index)
);
CREATE INDEX IF NOT EXISTS generic_events_event_name_idx ON generic_events (event_name);
