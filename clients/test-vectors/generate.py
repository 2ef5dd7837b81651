"""Write ``identifiers.json``, the published test vectors of the identifier spec.

Every expectation below is written by hand from ``docs/identifiers.md``; the
script refuses to write the file unless the SDK agrees with each one. Hashes
are computed here directly from the documented bytes with :mod:`hmac`, not
through the SDK, so the file pins the wire format independently of the code.

    python clients/test-vectors/generate.py   # or: make vectors
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path

from federation_client.identifiers import InvalidIdentifier, normalize

SALT = b"federation-test-vectors-salt-v1!"  # published: never use it for real data
KEY_ID = "test-2026"

# (type, raw input, expected normalised value, or "!error.code")
CASES: list[tuple[str, str, str]] = [
    # phone: every spelling of one mainland mobile is one number
    ("phone", "13800138000", "+8613800138000"),
    ("phone", "138 0013 8000", "+8613800138000"),
    ("phone", "138-0013-8000", "+8613800138000"),
    ("phone", "+86 138 0013 8000", "+8613800138000"),
    ("phone", "+8613800138000", "+8613800138000"),
    ("phone", "008613800138000", "+8613800138000"),
    ("phone", "(+86) 138-0013-8000", "+8613800138000"),
    ("phone", "１３８００１３８０００", "+8613800138000"),
    ("phone", "  +86 139 1234 5678\t", "+8613912345678"),
    ("phone", "010 6552 9988", "+861065529988"),
    ("phone", "+86-10-6552-9988", "+861065529988"),
    ("phone", "+852 5123 4567", "+85251234567"),
    ("phone", "+1 (650) 253-0000", "+16502530000"),
    ("phone", "+886 912 345 678", "+886912345678"),
    ("phone", "12345", "!phone.invalid"),
    ("phone", "+86 138 0013 800", "!phone.invalid"),
    ("phone", "hello", "!phone.unparseable"),
    ("phone", "+999 1234567", "!phone.unparseable"),
    ("phone", "   ", "!phone.empty"),
    # national_id: GB 11643 example number in its spellings, legacy 15-digit upgrade
    ("national_id", "11010519491231002X", "11010519491231002X"),
    ("national_id", "11010519491231002x", "11010519491231002X"),
    ("national_id", "110105 19491231 002X", "11010519491231002X"),
    ("national_id", "110105-19491231-002X", "11010519491231002X"),
    ("national_id", "１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
    ("national_id", "110105491231002", "11010519491231002X"),
    ("national_id", "440304200002291236", "440304200002291236"),
    ("national_id", "310115198512034562", "310115198512034562"),
    ("national_id", "510107197810250039", "510107197810250039"),
    ("national_id", "810000199001011230", "810000199001011230"),
    ("national_id", "110105194912310021", "!national_id.checksum"),
    ("national_id", "440304200002291232", "!national_id.checksum"),
    ("national_id", "1101051949123100", "!national_id.length"),
    ("national_id", "11010519491231002XX", "!national_id.length"),
    ("national_id", "11010519491231002Y", "!national_id.characters"),
    ("national_id", "11010519491231A02X", "!national_id.characters"),
    ("national_id", "11010549123100X", "!national_id.characters"),
    ("national_id", "110105194902300020", "!national_id.birth_date"),
    ("national_id", "440304200102291231", "!national_id.birth_date"),
    ("national_id", "110105209901010010", "!national_id.birth_date"),
    ("national_id", "110105189912310010", "!national_id.birth_date"),
    ("national_id", "000105194912310020", "!national_id.region"),
    ("national_id", "990105194912310020", "!national_id.region"),
    # device: IMEI with and without check digit, UUID spellings, fingerprints
    ("device", "352099001761481", "352099001761481"),
    ("device", "35-209900-176148-1", "352099001761481"),
    ("device", "35 209900 176148 1", "352099001761481"),
    ("device", "35209900176148", "352099001761481"),
    ("device", "490154203237518", "490154203237518"),
    ("device", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("device", "6f9619ff8b86d011b42d00c04fc964ff", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("device", "{6f9619ff-8b86-d011-b42d-00c04fc964ff}", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("device", "urn:uuid:6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("device", "EA7583CD-A667-48BC-B806-42ECB2B48606", "ea7583cd-a667-48bc-b806-42ecb2b48606"),
    ("device", "  Android-Fingerprint-ABC123  ", "android-fingerprint-abc123"),
    ("device", "A1B2C3D4E5F6A7B8", "a1b2c3d4e5f6a7b8"),
    ("device", "a1b2c3d4e5f6a7b8", "a1b2c3d4e5f6a7b8"),
    ("device", "352099001761482", "!device.imei_checksum"),
    ("device", "000000000000000", "!device.placeholder"),
    ("device", "00000000-0000-0000-0000-000000000000", "!device.placeholder"),
    ("device", "abc123", "!device.too_short"),
    ("device", "x" * 257, "!device.too_long"),
    ("device", "abc\x00defghij", "!device.characters"),
    ("device", "", "!device.empty"),
    # ip: canonical text, IPv4-mapped folded, public addresses only
    ("ip", "114.114.114.114", "114.114.114.114"),
    ("ip", " 114.114.114.114 ", "114.114.114.114"),
    ("ip", "::ffff:114.114.114.114", "114.114.114.114"),
    ("ip", "２２３．５．５．５", "223.5.5.5"),
    ("ip", "2408:8000:1010:1::8", "2408:8000:1010:1::8"),
    ("ip", "2408:8000:1010:0001:0000:0000:0000:0008", "2408:8000:1010:1::8"),
    ("ip", "[2408:8000:1010:1::8]", "2408:8000:1010:1::8"),
    ("ip", "240E:0:0:0:ABCD::1", "240e::abcd:0:0:1"),
    ("ip", "192.168.1.1", "!ip.not_public"),
    ("ip", "10.0.0.1", "!ip.not_public"),
    ("ip", "127.0.0.1", "!ip.not_public"),
    ("ip", "100.64.0.1", "!ip.not_public"),
    ("ip", "192.0.2.1", "!ip.not_public"),
    ("ip", "2001:db8::1", "!ip.not_public"),
    ("ip", "::1", "!ip.not_public"),
    ("ip", "fe80::1%eth0", "!ip.zone"),
    ("ip", "256.1.1.1", "!ip.syntax"),
    ("ip", "010.1.1.1", "!ip.syntax"),
    ("ip", "1.2.3.4:80", "!ip.syntax"),
    # ip_net: an address or a narrow network, written as its /24 or /64
    ("ip_net", "114.114.114.0/24", "114.114.114.0/24"),
    ("ip_net", "114.114.114.77", "114.114.114.0/24"),
    ("ip_net", "114.114.114.77/32", "114.114.114.0/24"),
    ("ip_net", "::ffff:114.114.114.0/120", "114.114.114.0/24"),
    ("ip_net", "2408:8000:1010:1::/64", "2408:8000:1010:1::/64"),
    ("ip_net", "2408:8000:1010:1:abcd::1/128", "2408:8000:1010:1::/64"),
    ("ip_net", "114.114.0.0/16", "!ip_net.prefix"),
    ("ip_net", "10.1.2.0/24", "!ip_net.not_public"),
    # email: lowercased, IDNA domain, no provider-specific folding
    ("email", "Foo.Bar@Example.COM", "foo.bar@example.com"),
    ("email", "  foo.bar@example.com  ", "foo.bar@example.com"),
    ("email", "ZHANG.San@QQ.com", "zhang.san@qq.com"),
    ("email", "user+tag@163.com", "user+tag@163.com"),
    ("email", "用户@例子.中国", "用户@xn--fsqu00a.xn--fiqs8s"),
    ("email", "用户@XN--FSQU00A.XN--FIQS8S", "用户@xn--fsqu00a.xn--fiqs8s"),
    ("email", "not-an-email", "!email.syntax"),
    ("email", "a@@b.com", "!email.syntax"),
    ("email", "someone@localhost", "!email.syntax"),
    ("email", "", "!email.empty"),
    # unknown types are refused, whatever the value
    ("passport", "E12345678", "!type.unknown"),
]


def documented_hash(type_: str, value: str) -> str:
    message = b"bf1\x00" + type_.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hmac.new(SALT, message, hashlib.sha256).hexdigest()


def derived_values(type_: str, value: str) -> list[tuple[str, str]]:
    if type_ != "ip":
        return []
    if ":" not in value:
        return [("ip_net", value.rsplit(".", 1)[0] + ".0/24")]
    return [("ip_net", {"2408:8000:1010:1::8": "2408:8000:1010:1::/64", "240e::abcd:0:0:1": "240e::/64"}[value])]


def build_vector(type_: str, raw: str, expected: str) -> dict[str, object]:
    try:
        actual = normalize(type_, raw)
    except InvalidIdentifier as exc:
        actual = "!" + exc.code
    if actual != expected:
        raise SystemExit(f"SDK disagrees with the spec for {type_} {raw!r}: {actual!r} != {expected!r}")
    vector: dict[str, object] = {"type": type_, "input": raw}
    if expected.startswith("!"):
        vector["error"] = expected[1:]
        return vector
    vector["normalized"] = expected
    vector["hashes"] = [
        {"type": kind, "normalized": value, "hash": documented_hash(kind, value)}
        for kind, value in [(type_, expected), *derived_values(type_, expected)]
    ]
    return vector


def main() -> None:
    document = {
        "spec_version": "bf1",
        "comment": "Test vectors for docs/identifiers.md. The salt is public: never use it for real data.",
        "salt_hex": SALT.hex(),
        "key_id": KEY_ID,
        "default_region": "CN",
        "vectors": [build_vector(*case) for case in CASES],
    }
    target = Path(__file__).with_name("identifiers.json")
    target.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} vectors to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
