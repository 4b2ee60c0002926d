"""A real OpenID Connect provider for the single sign-on tests: tests/oidc_provider/server.mjs
(panva/oidc-provider on Node.js), started on a free port, configured as NHSmail (a client secret)
and CIS2 (private_key_jwt with the app's own key) look to this app.

Node.js and the provider's packages are part of the test set-up (`make test` runs `npm ci`); if
either is missing the tests fail and say so, here and in CI.
"""

import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.sso import config as sso
from accounts.sso.keys import public_jwks

SERVER = Path(__file__).parent / "oidc_provider" / "server.mjs"
NODE_MODULES = SERVER.parent / "node_modules" / "oidc-provider"
CODE_TTL = 5  # seconds an authorisation code lives (the expired-code test waits it out)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Provider:
    issuer: str
    apps: list[dict]  # settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    process: subprocess.Popen

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(app_url: str) -> Provider:
    """Start the provider for an app served at ``app_url``; the apps are built with the same
    functions as production's (accounts.sso.config), from variables as an operator would set them."""
    node = shutil.which("node")
    if node is None or not NODE_MODULES.exists():
        raise RuntimeError(
            "The single sign-on tests need Node.js 20+ and `npm ci --prefix tests/oidc_provider` "
            "(make test runs it)."
        )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        "SSO_NHSMAIL_CLIENT_ID": "portfolio-nhsmail",
        "SSO_NHSMAIL_CLIENT_SECRET": "nhsmail-test-secret-0123456789abcdef",
        "SSO_NHSMAIL_SERVER_URL": issuer,
        "SSO_CIS2_CLIENT_ID": "portfolio-cis2",
        "SSO_CIS2_SERVER_URL": issuer,
        "SSO_CIS2_PRIVATE_KEY": private_key_pem(),
        "SSO_CIS2_KEY_ID": "test-key-1",
    }
    apps = sso.providers(env)
    callback = f"{app_url}/accounts/oidc/{{}}/login/callback/"
    nhsmail, cis2 = apps
    clients = [
        {
            "client_id": nhsmail["client_id"],
            "client_secret": nhsmail["secret"],
            "redirect_uris": [callback.format("nhsmail")],
            "token_endpoint_auth_method": "client_secret_post",
        },
        {
            "client_id": cis2["client_id"],
            "redirect_uris": [callback.format("cis2")],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": cis2["settings"]["signing_algorithm"],
            "jwks": public_jwks([cis2["settings"]]),
        },
    ]
    config = {"port": port, "clients": clients, "codeTtl": CODE_TTL}
    process = subprocess.Popen(  # noqa: S603 - our own script, our own arguments
        [node, str(SERVER), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("listening "):
            # Nothing reads its output from here on: send it nowhere, so it can never block.
            threading_drain(process)
            return Provider(issuer=issuer, apps=apps, process=process)
    process.kill()
    raise RuntimeError("The test OpenID provider did not start:\n" + "".join(lines))


def threading_drain(process):
    def drain():
        for _ in process.stdout:
            pass

    threading.Thread(target=drain, daemon=True).start()
