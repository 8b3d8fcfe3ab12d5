"""Trust: Ed25519 keys, DSSE envelopes, certificates (signed statements about a run) and the signed revocation list."""
