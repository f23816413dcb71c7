"""The custody transparency log: RFC 6962 Merkle tree, C2SP signed notes, checkpoints, cosignatures and proofs.

The modules ``merkle``, ``note``, ``formats`` and ``receipt`` are pure (standard library and ``cryptography``
only), so the offline verifier (``ajib verify-receipt``) and the witness use exactly the code the server uses,
and anyone can re-implement them from the RFCs and C2SP specs they follow.
"""
