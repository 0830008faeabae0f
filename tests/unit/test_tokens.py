"""Bearer tokens: only EdDSA tokens signed by our own key, for our audience and issuer, verify.

Bad tokens are forged with PyJWT (and by hand where PyJWT refuses to help, as for HMAC with a
PEM key), the way an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.tokens import Principal, TokenAuthority, TokenError, parse_duration
from shared.roles import Role

ISSUER, AUDIENCE = "tilts-test", "tilts-api"
KEY = Ed25519PrivateKey.generate()
AUTHORITY = TokenAuthority(KEY, issuer=ISSUER, audience=AUDIENCE)
PUBLIC_PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)


def claims(**changes: object) -> dict:
    now = datetime.now(UTC)
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "med-1", "role": "mediator", "iat": now,
            "nbf": now, "exp": now + timedelta(hours=1), "jti": "t-1"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _json_claims(values: dict) -> dict:
    return {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in values.items()}


def hand_signed_hs256(secret: bytes, values: dict) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_json_claims(values)).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


# --- minting and verifying -------------------------------------------------------------------


def test_when_a_minted_mediator_token_is_verified_then_the_principal_comes_back() -> None:
    token = AUTHORITY.mint(Role.MEDIATOR, "med-1", municipalities=["valmiera", "jelgava", "jelgava"])
    principal = AUTHORITY.verify(token)
    assert principal.role is Role.MEDIATOR and principal.subject == principal.actor == "med-1"
    assert principal.municipalities == frozenset({"jelgava", "valmiera"})
    assert principal.institution is None and principal.token_id


def test_when_a_minted_institution_token_is_verified_then_it_names_its_institution() -> None:
    principal = AUTHORITY.verify(AUTHORITY.mint(Role.INSTITUTION, "contact-1", institution="inst-school"))
    assert principal == Principal(Role.INSTITUTION, "contact-1", frozenset(), "inst-school",
                                  principal.token_id)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_round_trips(role: Role) -> None:
    institution = "inst-1" if role is Role.INSTITUTION else None
    assert AUTHORITY.verify(AUTHORITY.mint(role, "who", institution=institution)).role is role


def test_each_minted_token_has_its_own_id() -> None:
    first, second = (AUTHORITY.verify(AUTHORITY.mint(Role.ADMIN, "a")) for _ in range(2))
    assert first.token_id != second.token_id


def test_a_token_signed_with_our_key_by_pyjwt_verifies() -> None:
    # The control for the forgeries below: the claims themselves are fine.
    assert AUTHORITY.verify(jwt.encode(claims(), KEY, algorithm="EdDSA")).subject == "med-1"


# --- refused tokens --------------------------------------------------------------------------


def test_when_a_token_has_expired_then_token_error() -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(AUTHORITY.mint(Role.ADMIN, "a", ttl=timedelta(minutes=-5)))


def test_when_a_token_is_not_yet_valid_then_token_error() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(nbf=later), KEY, algorithm="EdDSA"))


def test_when_a_token_is_unsigned_alg_none_then_token_error() -> None:
    token = jwt.encode(claims(role="admin"), None, algorithm="none")
    assert token.endswith(".") and jwt.get_unverified_header(token)["alg"] == "none"
    with pytest.raises(TokenError):
        AUTHORITY.verify(token)


def test_when_a_token_is_hmac_signed_with_our_public_key_as_secret_then_token_error() -> None:
    # Algorithm confusion: a verifier that trusted the header's `alg` would check this HMAC
    # with the (public) PEM bytes it holds, and accept it.
    token = hand_signed_hs256(PUBLIC_PEM, claims(role="admin"))
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.decode(token, options={"verify_signature": False})["role"] == "admin"
    with pytest.raises(TokenError):
        AUTHORITY.verify(token)


def test_when_a_token_is_signed_by_another_ed25519_key_then_token_error() -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA"))


def test_when_another_authority_mints_then_ours_refuses_the_token() -> None:
    other = TokenAuthority(Ed25519PrivateKey.generate(), issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(TokenError):
        AUTHORITY.verify(other.mint(Role.ADMIN, "a"))


@pytest.mark.parametrize("changes", [{"aud": "someone-else"}, {"iss": "someone-else"},
                                     {"aud": None}, {"iss": None}],
                         ids=["wrong-audience", "wrong-issuer", "no-audience", "no-issuer"])
def test_when_a_token_is_for_another_audience_or_issuer_then_token_error(changes) -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(**changes), KEY, algorithm="EdDSA"))


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "role"])
def test_when_a_required_claim_is_missing_then_token_error(missing: str) -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(**{missing: None}), KEY, algorithm="EdDSA"))


def test_when_a_token_carries_an_unknown_role_then_token_error() -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(role="superuser"), KEY, algorithm="EdDSA"))


def test_when_an_institution_token_names_no_institution_then_token_error() -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(role="institution"), KEY, algorithm="EdDSA"))


@pytest.mark.parametrize("changes", [{"municipalities": "jelgava"}, {"municipalities": [1, 2]},
                                     {"institution": 7, "role": "institution"}],
                         ids=["municipalities-not-a-list", "municipalities-not-strings",
                              "institution-not-a-string"])
def test_when_scope_claims_are_malformed_then_token_error(changes) -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(jwt.encode(claims(**changes), KEY, algorithm="EdDSA"))


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "a.b"])
def test_when_the_token_is_garbage_then_token_error(garbage: str) -> None:
    with pytest.raises(TokenError):
        AUTHORITY.verify(garbage)


def test_when_a_signed_token_is_tampered_with_then_token_error() -> None:
    header, _, signature = AUTHORITY.mint(Role.MEDIATOR, "med-1").split(".")
    payload = _b64(json.dumps(_json_claims(claims(role="admin"))).encode())
    with pytest.raises(TokenError):
        AUTHORITY.verify(f"{header}.{payload}.{signature}")


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("8h", timedelta(hours=8)), ("30d", timedelta(days=30)),
    ("2w", timedelta(weeks=2)), ("90s", timedelta(seconds=90)), (" 24h ", timedelta(hours=24)),
])
def test_parse_duration_reads_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0h", "-1h", "8 hours", "", "h", "8", "1.5h", "8H", "8y", "8hh"])
def test_parse_duration_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["99999999999w", "10000000w"])
def test_parse_duration_refuses_a_lifetime_no_token_can_carry(text: str) -> None:
    # `tilts token create --ttl` turns ValueError into a clean usage error. Today the first
    # raises OverflowError inside timedelta, and the second parses to ~190,000 years, which
    # then overflows `now + ttl` in mint: both end as tracebacks.
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_refused_token_is_explained_in_plain_words_without_library_internals() -> None:
    cases = {
        AUTHORITY.mint(Role.ADMIN, "a", ttl=timedelta(minutes=-5)): "the token has expired",
        "eyJhbGciOiJFZERTQSJ9.\xb7\xff.x": "the token is not a well-formed signed token",
        "not-a-token": "the token is not a well-formed signed token",
        jwt.encode(claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA"): "the token's signature does not verify",
        jwt.encode(claims(role="overlord"), KEY, algorithm="EdDSA"): "the token names no known role",
    }
    for token, reason in cases.items():
        with pytest.raises(TokenError) as refused:
            AUTHORITY.verify(token)
        assert str(refused.value) == reason, token


def test_a_token_without_a_real_subject_is_refused_because_nothing_could_be_attributed_to_it() -> None:
    for blank in ("", "   ", " med-1", "med-1\n"):
        with pytest.raises(TokenError):
            AUTHORITY.verify(jwt.encode(claims(sub=blank), KEY, algorithm="EdDSA"))
    assert AUTHORITY.verify(jwt.encode(claims(sub="med-1"), KEY, algorithm="EdDSA")).subject == "med-1"


def test_tilts_token_create_refuses_a_blank_subject(tmp_path) -> None:
    from typer.testing import CliRunner

    from tilts.cli import app

    refused = CliRunner().invoke(app, ["token", "create", "--role", "auditor", "--subject", "  ",
                                       "--data-dir", str(tmp_path)])
    assert refused.exit_code == 2 and "subject" in refused.output
    no_place = CliRunner().invoke(app, ["token", "create", "--role", "coordinator", "--subject", "c1",
                                        "--municipality", "", "--data-dir", str(tmp_path)])
    assert no_place.exit_code == 2 and "municipality" in no_place.output
    nowhere = CliRunner().invoke(app, ["token", "create", "--role", "coordinator", "--subject", "c1",
                                       "--data-dir", str(tmp_path)])
    assert nowhere.exit_code == 2 and "coordinator" in nowhere.output


def test_tilts_token_create_says_when_it_had_to_make_a_new_signing_key(tmp_path) -> None:
    from typer.testing import CliRunner

    from tilts.cli import app

    args = ["token", "create", "--role", "auditor", "--subject", "aud-1", "--data-dir", str(tmp_path)]
    first, second = CliRunner().invoke(app, args), CliRunner().invoke(app, args)
    assert first.exit_code == 0 and "made a new one" in first.output
    assert second.exit_code == 0 and "made a new one" not in second.output


def test_a_signed_token_that_lives_longer_than_any_minted_one_is_refused() -> None:
    # Minting refuses more than ten years; a token saying a hundred was not minted as it should be.
    now = datetime.now(UTC)
    with pytest.raises(TokenError, match="longer than"):
        AUTHORITY.verify(jwt.encode(claims(exp=now + timedelta(days=36500)), KEY, algorithm="EdDSA"))
    assert AUTHORITY.verify(jwt.encode(claims(exp=now + timedelta(days=3650)), KEY, algorithm="EdDSA"))


def test_a_signed_token_with_an_absurd_number_for_a_time_is_refused_not_a_crash() -> None:
    for absurd in ({"exp": 10**400}, {"iat": -(10**400)}):
        with pytest.raises(TokenError):
            AUTHORITY.verify(jwt.encode(claims(**absurd), KEY, algorithm="EdDSA"))
