-- A fingerprint of the secret that signs shoppers' tokens (an HMAC of a fixed text, never the
-- secret itself; see `Store.signing_secret_fingerprint`): a server started with another
-- secret by mistake (LOKET_SECRET left out of a restart) would make every shopper's browser
-- start a new conversation, so it refuses to start instead, unless told the change is meant.
CREATE TABLE signing_secret (fingerprint TEXT NOT NULL);
