"""Tamper evidence beyond the hash chains: an RFC 9162 Merkle tree over the whole log, signed checkpoints.

Pure: `merkle` (tree hashing and proofs), `proofs` (proofs built while the log streams past),
`checkpoints` (the signed statement), `keys` (the notary's Ed25519 key). I/O: `store` (the
checkpoint stream), `reading` (the notary's reads), `notary` (the background task).
"""
