"""``federation-client``: tools for a member's engineers.

``hash`` lets an engineer check an in-house implementation of the identifier
spec against this one, value by value, without any server. ``keygen`` makes
the key pair a member authenticates with; only the public JWK is registered.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import InvalidIdentifier
from .identifiers import DEFAULT_REGION, IDENTIFIER_TYPES, derived, hash_normalized, normalize
from .keys import write_key_pair
from .salts import load_salt


def _hash_command(args: argparse.Namespace) -> int:
    try:
        salt = load_salt(args.salt_file, args.key_id)
    except (OSError, ValueError) as exc:
        print(f"federation-client: {exc}", file=sys.stderr)
        return 2
    status = 0
    for raw in args.values:
        try:
            value = normalize(args.type, raw, default_region=args.region)
        except InvalidIdentifier as exc:
            print(f"federation-client: {exc}", file=sys.stderr)
            status = 1
            continue
        for kind, text in [(args.type, value), *derived(args.type, value)]:
            line = {"type": kind, "key_id": salt.key_id, "hash": hash_normalized(kind, text, salt.secret)}
            if args.explain:
                line["normalized"] = text
            print(json.dumps(line, ensure_ascii=False))
    return status


def _keygen_command(args: argparse.Namespace) -> int:
    try:
        jwk = write_key_pair(args.out, alg=args.alg, kid=args.kid)
    except FileExistsError:
        print(f"federation-client: {args.out}/private-key.pem exists; not overwriting a key", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out}/private-key.pem (keep it secret) and {args.out}/public-jwk.json (register it)",
        file=sys.stderr,
    )
    print(json.dumps(jwk))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="federation-client", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    hash_parser = commands.add_parser("hash", help="normalise and hash identifiers (one JSON line per hash)")
    hash_parser.add_argument("--type", required=True, choices=IDENTIFIER_TYPES)
    hash_parser.add_argument("--salt-file", required=True, help="JSON {key_id, salt_hex} or a bare hex salt")
    hash_parser.add_argument("--key-id", help="key id of a bare hex salt (overrides the file's)")
    hash_parser.add_argument("--region", default=DEFAULT_REGION, help="region for phones without +country")
    hash_parser.add_argument("--explain", action="store_true", help="also print the normalised value")
    hash_parser.add_argument("values", nargs="+", metavar="VALUE")
    hash_parser.set_defaults(handler=_hash_command)
    keygen_parser = commands.add_parser("keygen", help="create a member key pair; register the public JWK")
    keygen_parser.add_argument("--out", required=True, help="directory for private-key.pem and public-jwk.json")
    keygen_parser.add_argument("--alg", choices=("EdDSA", "ES256"), default="EdDSA")
    keygen_parser.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    keygen_parser.set_defaults(handler=_keygen_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
