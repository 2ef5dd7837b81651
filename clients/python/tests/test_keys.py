"""Key pairs: thumbprints (RFC 8037/7638 vector), keygen files, loading."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from federation_client.keys import load_private_key, public_jwk, thumbprint, write_key_pair


def test_thumbprint_matches_rfc_8037_appendix_a3():
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_write_key_pair_keeps_the_private_key_private(tmp_path, alg):
    jwk = write_key_pair(tmp_path, alg=alg)
    assert stat.S_IMODE((tmp_path / "private-key.pem").stat().st_mode) == 0o600
    published = json.loads((tmp_path / "public-jwk.json").read_text())
    assert published == jwk and "d" not in published and published["alg"] == alg
    assert jwk["kid"] == thumbprint(jwk)
    key = load_private_key(tmp_path / "private-key.pem")
    assert public_jwk(key) == jwk
    with pytest.raises(FileExistsError):
        write_key_pair(tmp_path)


def test_private_keys_load_from_pem_text_bytes_and_objects(tmp_path):
    write_key_pair(tmp_path)
    pem = (tmp_path / "private-key.pem").read_bytes()
    key = load_private_key(pem)
    assert public_jwk(load_private_key(pem.decode())) == public_jwk(key) == public_jwk(load_private_key(key))


def test_unsupported_private_keys_are_refused():
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(pem)


def test_keygen_command(tmp_path):
    cli = str(Path(sys.executable).with_name("federation-client"))
    result = subprocess.run(
        [cli, "keygen", "--out", str(tmp_path), "--kid", "shop-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kid"] == "shop-1"
    again = subprocess.run(
        [cli, "keygen", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 2 and "not overwriting" in again.stderr
