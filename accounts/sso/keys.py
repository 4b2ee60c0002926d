"""The app's own signing key for ``private_key_jwt`` client authentication (CIS2).

The private key (PEM, RSA) comes from the environment through the provider's settings
(``private_key``, ``key_id``, ``signing_algorithm``); its public half is published at
``/sso/jwks.json`` for the provider to fetch, as CIS2 requires.
"""

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _private_key(app_settings: dict):
    return serialization.load_pem_private_key(app_settings["private_key"].encode(), password=None)


def client_assertion(app_settings: dict, client_id: str, token_endpoint: str) -> str:
    """A short-lived JWT signed with the app's key, addressed to the token endpoint exactly."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
    }
    return jwt.encode(
        claims,
        _private_key(app_settings),
        algorithm=app_settings.get("signing_algorithm", "RS512"),
        headers={"kid": app_settings["key_id"]},
    )


def public_jwks(apps_settings: list[dict]) -> dict:
    """The public keys of every provider that authenticates with a private key."""
    keys = []
    for app_settings in apps_settings:
        if app_settings.get("token_auth_method") != "private_key_jwt":
            continue
        jwk = json.loads(RSAAlgorithm.to_jwk(_private_key(app_settings).public_key()))
        jwk.update(
            kid=app_settings["key_id"],
            use="sig",
            alg=app_settings.get("signing_algorithm", "RS512"),
        )
        keys.append(jwk)
    return {"keys": keys}
