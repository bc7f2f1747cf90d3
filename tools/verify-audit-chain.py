#!/usr/bin/env python3
"""Reference verifier for CodeRaft audit chain v1 exports (docs/audit-chain.md). Python 3.8+, standard library only.

    python3 tools/verify-audit-chain.py ENTRIES.jsonl [CHECKPOINTS.jsonl] --public-key KEY.pem

Prints `OK <count> entries, head <hash>` (exit 0) or `TAMPERED at sequence <n>: <reason>` (exit 1); warnings go
to stderr. Exit 2: usage error or unreadable input. It trusts nothing in the export: every hash is recomputed.
"""
import argparse
import base64
import hashlib
import json
import re
import sys
from datetime import datetime

FIELDS = ["timestamp", "product", "category", "action", "outcome", "actor_type", "actor_id", "actor_name",
          "source_ip", "target_type", "target_id", "details"]
COLUMNS = ["sequence"] + FIELDS + ["previous_hash", "hash"]
CHECKPOINT_COLUMNS = ["sequence", "hash", "timestamp", "key_id", "signature"]
GENESIS = "0" * 64
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z", re.ASCII)
SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==\Z")  # base64 of 64 bytes
CHECKPOINT_EVERY = 1000

# NIST P-256 (FIPS 186-4, D.1.2.3); a = -3.
P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)
# DER of SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 0x00 }.
SPKI_P256_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


class Tampered(Exception):
    def __init__(self, sequence, reason):
        super().__init__(f"TAMPERED at sequence {sequence}: {reason}")


def point_add(p1, p2):
    if p1 is None or p2 is None:  # None is the point at infinity
        return p2 if p1 is None else p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def point_mul(k, point):
    result = None
    while k:
        if k & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        k >>= 1
    return result


def ecdsa_p256_verify(public_point, message, signature):
    """ECDSA-SHA256 over P-256; signature in IEEE P1363 form r||s (64 bytes)."""
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s < N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, N)
    point = point_add(point_mul(e * w % N, G), point_mul(r * w % N, public_point))
    return point is not None and point[0] % N == r


def load_public_key(path):
    """Returns (point, key_id) from a PEM SubjectPublicKeyInfo of an uncompressed P-256 point."""
    with open(path, encoding="ascii") as f:
        match = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", f.read(), re.S)
    der = base64.b64decode("".join(match.group(1).split()), validate=True) if match else b""
    if len(der) != 91 or not der.startswith(SPKI_P256_PREFIX) or der[26] != 4:
        raise ValueError(f"{path} is not a PEM P-256 public key (SubjectPublicKeyInfo, uncompressed point)")
    x, y = int.from_bytes(der[27:59], "big"), int.from_bytes(der[59:91], "big")
    if not (x < P and y < P and (y * y - x * x * x + 3 * x - B) % P == 0):
        raise ValueError(f"{path} holds a point that is not on P-256")
    return (x, y), hashlib.sha256(der).hexdigest()[:16]


def entry_hash(entry):
    data = bytearray(bytes.fromhex(entry["previous_hash"]))
    data += entry["sequence"].to_bytes(8, "big")
    for name in FIELDS:
        value = entry[name].encode("utf-8")
        data += len(value).to_bytes(4, "big") + value
    return hashlib.sha256(data).hexdigest()


def is_timestamp(value):
    try:
        return TIMESTAMP.match(value) is not None and datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ") is not None
    except ValueError:  # e.g. month 13
        return False


def read_objects(path, columns):
    """Yields (line number, dict), or (line number, None) for a line that is not a v1 object with these keys."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for number, raw in enumerate(lines[:-1] if lines[-1] == b"" else lines, 1):
        try:
            pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=tuple)  # arrays stay lists, objects become tuples
            ok = (isinstance(pairs, tuple) and [k for k, _ in pairs] == columns
                  and type(pairs[0][1]) is int and all(isinstance(v, str) for _, v in pairs[1:]))
        except ValueError:  # also UnicodeDecodeError
            ok = False
        yield number, dict(pairs) if ok else None


def verify(entries_path, checkpoints_path, public_key_path, warnings):
    signed = {}  # sequence -> hashes signed for it
    checkpoints = []
    if checkpoints_path:
        point, key_id = load_public_key(public_key_path)
        for number, c in read_objects(checkpoints_path, CHECKPOINT_COLUMNS):
            if c is None:
                raise ValueError(f"line {number} of {checkpoints_path} is not a v1 checkpoint object")
            if c["key_id"] != key_id:
                raise Tampered(c["sequence"], f"checkpoint of {c['timestamp']} is signed by unknown key {c['key_id']}")
            message = f"coderaft-audit-checkpoint/v1\n{c['sequence']}\n{c['hash']}\n{c['timestamp']}\n".encode("utf-8")
            signature = base64.b64decode(c["signature"]) if SIGNATURE.match(c["signature"]) else b""
            if not ecdsa_p256_verify(point, message, signature):
                raise Tampered(c["sequence"], f"checkpoint of {c['timestamp']} has an invalid signature (forged or altered)")
            signed.setdefault(c["sequence"], []).append(c["hash"])
            checkpoints.append(c)
    else:
        warnings.append("no checkpoints file given: only the hash chain is checked, nothing is anchored by a signature.")

    first, expected, previous, count = None, None, None, 0
    for number, e in read_objects(entries_path, COLUMNS):
        if e is None:
            raise Tampered(expected or 1, f"line {number} is not an export object with the v1 columns and types")
        if first is None:  # the start of the export: the genesis, or mid-chain (audit export --from)
            first = expected = e["sequence"]
            confirmed = first - 1  # the last sequence a matching signed checkpoint confirmed
            if not 1 <= first < 2 ** 63:
                raise Tampered(first, "sequences start at 1")
            previous = GENESIS if first == 1 else e["previous_hash"]
            if first > 1:
                warnings.append(f"the export starts at sequence {first}: its previous_hash is taken as given, "
                                f"entries 1 to {first - 1} are not verified.")
                if any(h != previous for h in signed.get(first - 1, [])):
                    raise Tampered(first, f"previous_hash does not match the signed checkpoint at sequence {first - 1}")
        if e["sequence"] != expected:
            raise Tampered(expected, f"entry missing (deleted): the log jumps from sequence {expected - 1} to {e['sequence']}"
                           if e["sequence"] > expected else
                           f"entries out of order: found sequence {e['sequence']} where {expected} was expected")
        if e["previous_hash"] != previous:
            raise Tampered(expected, f"previous_hash does not match the hash of sequence {expected - 1} "
                                     "(an entry was inserted, removed or reordered before it)")
        if not HEX64.match(e["previous_hash"]):
            raise Tampered(expected, "previous_hash is not 64 hexadecimal characters")
        if entry_hash(e) != e["hash"]:
            raise Tampered(expected, "content does not match its hash (modified)")
        if not is_timestamp(e["timestamp"]):
            raise Tampered(expected, "timestamp is not in the format yyyy-MM-ddTHH:mm:ss.fffZ")
        if expected in signed:
            if any(h != e["hash"] for h in signed[expected]):
                raise Tampered(expected, "entry does not carry the hash of its signed checkpoint: an entry between "
                                         f"{confirmed + 1} and {expected} was changed and the later hashes recomputed")
            confirmed = expected
        previous, expected, count = e["hash"], expected + 1, count + 1

    last = expected - 1 if first is not None else 0
    beyond = [c for c in checkpoints if c["sequence"] > last]
    if beyond:
        raise Tampered(last + 1, f"log truncated: a checkpoint signed at {beyond[-1]['timestamp']} covers sequence "
                                 f"{beyond[-1]['sequence']}, but the log ends at {last}")
    if checkpoints_path and first is not None:
        for required in range(-(-first // CHECKPOINT_EVERY) * CHECKPOINT_EVERY, last + 1, CHECKPOINT_EVERY):
            if required not in signed:
                raise Tampered(required, "the signed checkpoint written with this entry is missing (deleted)")
    anchored = max((c["sequence"] for c in checkpoints), default=0)
    if checkpoints_path and last > anchored:
        warnings.append(f"{last - anchored} entries after the latest signed checkpoint are protected by the hash chain only.")
    return f"OK {count} entries, head {previous or GENESIS}"


def main(argv):
    parser = argparse.ArgumentParser(description="Verify a CodeRaft audit export (chain format v1).")
    parser.add_argument("entries", help="the entries file written by `audit export --out`")
    parser.add_argument("checkpoints", nargs="?", help="the .checkpoints.jsonl file written beside it")
    parser.add_argument("--public-key", help="PEM from `audit public-key` (required with a checkpoints file)")
    args = parser.parse_args(argv)
    if args.checkpoints and not args.public_key:
        parser.error("--public-key is required to verify checkpoint signatures")
    warnings, code = [], 0
    try:
        print(verify(args.entries, args.checkpoints, args.public_key, warnings))
    except Tampered as tampered:
        print(tampered)
        code = 1
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print("warning: " + warning, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
