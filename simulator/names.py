"""Kubernetes-shaped names: pod-template-hash, ReplicaSet and pod names, UIDs."""
from __future__ import annotations

import json
import random

# k8s.io/apimachinery/pkg/util/rand: no vowels, so generated names never spell words.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_ALPHABET_SIZE = len(SAFE_ALPHABET)
_ALPHABET_BITS = _ALPHABET_SIZE.bit_length()
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MAX_GENERATE_PREFIX = 58  # apiserver cuts generateName prefixes to 63 - 5 characters


def safe_encode(text: str) -> str:
    """Re-encode each character through the safe alphabet, as rand.SafeEncodeString does."""
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in text)


def fnv1a_32(data: bytes) -> int:
    """32-bit FNV-1a, the hash Kubernetes feeds the pod template into."""
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def pod_template_hash(template: dict, collision_count: int | None = None) -> str:
    """Hash of a pod template (hash label ignored) in Kubernetes' shape, e.g. '66b6c48dd5'.

    Kubernetes hashes Go's deep dump of the struct; we hash canonical JSON, so values
    differ from a real cluster but are stable per distinct template.
    """
    data = json.dumps(_without_hash_label(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little") + b"\0\0\0\0"
    return safe_encode(str(fnv1a_32(data)))


def _without_hash_label(template: dict) -> dict:
    labels = (template.get("metadata") or {}).get("labels") or {}
    if POD_TEMPLATE_HASH_LABEL not in labels:
        return template
    meta = dict(template["metadata"])
    meta["labels"] = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH_LABEL}
    return {**template, "metadata": meta}


def templates_equal_ignoring_hash(a: dict, b: dict) -> bool:
    """EqualIgnoreHash: two pod templates are the same apart from the hash label."""
    return _without_hash_label(a) == _without_hash_label(b)


def replica_set_name(deployment_name: str, template_hash: str) -> str:
    """`<deployment>-<hash>`, the deployment part cut so the name fits 253 characters."""
    return f"{deployment_name[: 253 - 1 - len(template_hash)]}-{template_hash}"


def generated_name(prefix: str, rng: random.Random) -> str:
    """What the API server makes of generateName: prefix (≤ 58 chars) + 5 safe characters.

    The characters are the draws of rng.choice(SAFE_ALPHABET), done as random.Random does
    them (getrandbits of the alphabet size's bit length, rejecting values past its end)
    without choice()'s two Python-level calls per character: a 10,000-pod rollout names
    10,000 pods. tests/simulator/test_names.py holds the two to the same output."""
    getrandbits = rng.getrandbits
    chars = []
    for _ in range(5):
        r = getrandbits(_ALPHABET_BITS)
        while r >= _ALPHABET_SIZE:
            r = getrandbits(_ALPHABET_BITS)
        chars.append(SAFE_ALPHABET[r])
    return prefix[:_MAX_GENERATE_PREFIX] + "".join(chars)


def new_uid(rng: random.Random) -> str:
    """A version-4-shaped UUID drawn from the cluster's seeded generator."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
