"""RFC 6962 Merkle hashing and proofs: known answers from the reference implementations, and properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.merkle import ProofError

DATA = Path(__file__).resolve().parents[2] / "data" / "tlog" / "transparency-dev-merkle-vectors.json"
VECTORS = json.loads(DATA.read_text())

# RFC 6962 test leaves and the roots of the trees of size 0..8 (CT's reference tests, also in
# transparency-dev/merkle testonly/constants.go).
LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAF_HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def unb64(values):
    return [base64.b64decode(v) for v in values]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_rfc6962_known_answers(size):
    """MTH over the RFC 6962 test leaves gives the reference roots for every size 0..8."""
    assert merkle.root_of(LEAF_HASHES[:size]).hex() == ROOTS[size]


def test_leaf_and_node_hashes_are_domain_separated():
    """A leaf is SHA-256(0x00||d), a node SHA-256(0x01||l||r): the first test leaf's known hash."""
    assert merkle.leaf_hash(b"").hex() == ROOTS[1]
    assert merkle.node_hash(LEAF_HASHES[0], LEAF_HASHES[1]).hex() == ROOTS[2]


@pytest.mark.parametrize("probe", VECTORS["inclusion"], ids=lambda p: p["file"].split("testdata/")[1])
def test_inclusion_vectors(probe):
    """Every inclusion probe of transparency-dev/merkle: the happy paths verify, every mangling fails."""
    args = (probe["leafIdx"], probe["treeSize"], *(unb64([probe["leafHash"] or ""])))
    proof, root = unb64(probe["proof"] or []), base64.b64decode(probe["root"] or "")
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args, proof, root)
    else:
        merkle.verify_inclusion(*args, proof, root)


@pytest.mark.parametrize("probe", VECTORS["consistency"], ids=lambda p: p["file"].split("testdata/")[1])
def test_consistency_vectors(probe):
    """Every consistency probe of transparency-dev/merkle: the happy paths verify, every mangling fails."""
    roots = base64.b64decode(probe["root1"] or ""), base64.b64decode(probe["root2"] or "")
    proof = unb64(probe["proof"] or [])
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(probe["size1"], probe["size2"], *roots, proof)
    else:
        merkle.verify_consistency(probe["size1"], probe["size2"], *roots, proof)


def _happy(kind):
    return [p for p in VECTORS[kind] if p["desc"] == "happy path"]


@pytest.mark.parametrize("probe", _happy("inclusion"), ids=lambda p: p["file"])
def test_our_inclusion_proofs_equal_the_reference_proofs(probe):
    """The proofs we build over the RFC 6962 test leaves are byte for byte the reference ones."""
    subtree = merkle.list_subtree(LEAF_HASHES[: probe["treeSize"]])
    built = merkle.inclusion_proof(probe["leafIdx"], probe["treeSize"], subtree)
    assert built == unb64(probe["proof"] or [])


@pytest.mark.parametrize("probe", _happy("consistency"), ids=lambda p: p["file"])
def test_our_consistency_proofs_equal_the_reference_proofs(probe):
    subtree = merkle.list_subtree(LEAF_HASHES[: probe["size2"]])
    built = merkle.consistency_proof(probe["size1"], probe["size2"], subtree)
    assert built == unb64(probe["proof"] or [])


def test_perfect_subtrees_rebuild_every_proof_range():
    """The stored complete subtrees are enough to hash every range an RFC 6962 proof asks for."""
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(37)]
    seen = []

    def stored(start: int, end: int) -> bytes:
        seen.append((start, end))
        parts = merkle.perfect_subtrees(start, end)
        return merkle.subtree_from_parts([merkle.root_of(hashes[a:b]) for a, b in parts])

    for size in range(1, 38):
        for index in range(size):
            assert merkle.inclusion_proof(index, size, stored) == merkle.inclusion_proof(
                index, size, merkle.list_subtree(hashes[:size])
            )
        for old in range(1, size + 1):
            assert merkle.consistency_proof(old, size, stored) == merkle.consistency_proof(
                old, size, merkle.list_subtree(hashes[:size])
            )
    assert seen


@settings(max_examples=60, deadline=None)
@given(leaves=st.lists(st.binary(max_size=12), min_size=1, max_size=70), data=st.data())
def test_random_appends_every_earlier_checkpoint_is_consistent_and_any_byte_change_fails(leaves, data):
    """Random appends: any earlier tree's consistency proof and any leaf's inclusion proof verify,
    and flipping any single byte of a proof hash, a root or the leaf makes verification fail."""
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    size = len(hashes)
    subtree = merkle.list_subtree(hashes)
    root = merkle.root_of(hashes)
    old = data.draw(st.integers(1, size), label="earlier size")
    old_root = merkle.root_of(hashes[:old])
    proof = merkle.consistency_proof(old, size, subtree)
    merkle.verify_consistency(old, size, old_root, root, proof)
    index = data.draw(st.integers(0, size - 1), label="leaf")
    path = merkle.inclusion_proof(index, size, subtree)
    merkle.verify_inclusion(index, size, hashes[index], path, root)

    def flip(value: bytes, at: int, bit: int) -> bytes:
        out = bytearray(value)
        out[at] ^= 1 << bit
        return bytes(out)

    byte, bit = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(0, 7), label="bit")
    targets = ["root", "old_root", "leaf"] + [f"c{i}" for i in range(len(proof))] + [f"p{i}" for i in range(len(path))]
    target = data.draw(st.sampled_from(targets), label="what changes")
    if target == "root":
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, old_root, flip(root, byte, bit), proof)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, hashes[index], path, flip(root, byte, bit))
    elif target == "old_root":
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, flip(old_root, byte, bit), root, proof)
    elif target == "leaf":
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, flip(hashes[index], byte, bit), path, root)
    elif target[0] == "c":
        i = int(target[1:])
        bad = [flip(h, byte, bit) if j == i else h for j, h in enumerate(proof)]
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, old_root, root, bad)
    else:
        i = int(target[1:])
        bad = [flip(h, byte, bit) if j == i else h for j, h in enumerate(path)]
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, hashes[index], bad, root)


def test_leaf_bytes_change_changes_the_root():
    """A single changed byte in any leaf changes the root (so a rewritten record cannot keep its checkpoint)."""
    leaves = [bytes([i]) * 5 for i in range(11)]
    root = merkle.root_of([merkle.leaf_hash(x) for x in leaves])
    for i in range(len(leaves)):
        for at in range(5):
            changed = list(leaves)
            changed[i] = changed[i][:at] + bytes([changed[i][at] ^ 0x80]) + changed[i][at + 1 :]
            assert merkle.root_of([merkle.leaf_hash(x) for x in changed]) != root
