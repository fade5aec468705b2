"""A fake GitHub (and GitHub Enterprise) and a fake GitLab, served over HTTP on 127.0.0.1.

Tests point allauth at these with its own URL settings (GITHUB_URL, GITLAB_URL or an app's "gitlab_url") and run the
real OAuth dance: the browser leg is an HTTP GET to the authorize endpoint, the server leg is allauth's own `requests`
calls to the token and profile endpoints. Nothing in allauth or `requests` is patched.

One server hosts several fakes, each under its own base path: GitHub at the root (its Enterprise layout:
/login/oauth/..., /api/v3/...), GitLab under /gitlab (/oauth/..., /api/v4/...), more with `mount()`.

Every request is recorded so tests can check what allauth sent (PKCE challenge, verifier, redirect URI, client id).

Manual demo:  python -m tests.support.fake_oauth --port 9000
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

logger = logging.getLogger("fake_oauth")


class Kind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"


class Consent(StrEnum):
    """What the person at the provider's consent screen does."""

    APPROVE = "approve"
    DENY = "deny"  # redirects back with error=access_denied
    ERROR = "error"  # the provider itself fails: redirects back with error=server_error


class TokenFailure(StrEnum):
    """How the token endpoint misbehaves, when told to."""

    NONE = "none"
    HTTP_500 = "http_500"
    ERROR_JSON = "error_json"  # 200 with {"error": ...}, as GitHub answers a bad code


@dataclass
class FakeEmail:
    email: str
    verified: bool = True
    primary: bool = False


@dataclass
class FakeUser:
    """The person signed in at the provider. `emails` is GitHub's /user/emails list; GitLab only has `email`."""

    id: int = 4242
    login: str = "mona"
    name: str = "Mona Lisa Octocat"
    email: str | None = "mona@example.com"
    emails: list[FakeEmail] = field(default_factory=lambda: [FakeEmail("mona@example.com", primary=True)])


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    user: FakeUser
    used: bool = False


def s256(verifier: str) -> str:
    """RFC 7636's S256: base64url(sha256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


class FakeProvider:
    """One fake OAuth provider: its client registration, the signed-in user, what it will do, and what it saw."""

    def __init__(self, kind: Kind, *, client_id: str, client_secret: str) -> None:
        self.kind = kind
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = ""  # set when mounted
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to approving everything for the default user, with nothing recorded."""
        with self._lock:
            self.user = FakeUser()
            self.consent = Consent.APPROVE
            self.token_failure = TokenFailure.NONE
            self.api_failure = False  # the profile endpoints answer 500
            self.authorize_requests: list[dict[str, str]] = []
            self.token_requests: list[dict[str, str]] = []
            self.api_requests: list[str] = []
            self._grants: dict[str, Grant] = {}
            self._tokens: dict[str, FakeUser] = {}

    # --- the endpoints, by path below the base ---------------------------------------------------------

    @property
    def routes(self) -> dict[tuple[str, str], str]:
        if self.kind == Kind.GITHUB:
            return {
                ("GET", "/login/oauth/authorize"): "authorize",
                ("POST", "/login/oauth/access_token"): "token",
                ("GET", "/api/v3/user"): "github_user",
                ("GET", "/api/v3/user/emails"): "github_emails",
            }
        return {
            ("GET", "/oauth/authorize"): "authorize",
            ("POST", "/oauth/token"): "token",
            ("GET", "/api/v4/user"): "gitlab_user",
        }

    def authorize(self, request: Request) -> Response:
        params = request.query
        self.authorize_requests.append({**params, "path": request.full_path})
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or not redirect_uri.startswith(("http://", "https://")):
            # A real provider shows its own error page and never redirects to an unregistered client.
            return Response.text(HTTPStatus.BAD_REQUEST, "unknown client_id or bad redirect_uri")
        state = {"state": params["state"]} if "state" in params else {}
        logger.info("%s: authorize %s for %s (%s)", self.kind, params.get("client_id"), redirect_uri, self.consent)
        if self.consent == Consent.DENY:
            error = {"error": "access_denied", "error_description": "The user denied your request."}
            return Response.redirect(redirect_uri, {**error, **state})
        if self.consent == Consent.ERROR:
            error = {"error": "server_error", "error_description": "Something went wrong at the provider."}
            return Response.redirect(redirect_uri, {**error, **state})
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._grants[code] = Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                code_challenge=params.get("code_challenge"),
                code_challenge_method=params.get("code_challenge_method"),
                user=self.user,
            )
        logger.info("%s: %s approved, code %s", self.kind, self.user.login, code)
        return Response.redirect(redirect_uri, {"code": code, **state})

    def token(self, request: Request) -> Response:
        form = request.form
        self.token_requests.append(dict(form))
        if self.token_failure == TokenFailure.HTTP_500:
            return Response.text(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
        if self.token_failure == TokenFailure.ERROR_JSON:
            return self._token_error("temporarily_unavailable", "The provider is having a bad day.")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._token_error("invalid_client", "Client authentication failed.", HTTPStatus.UNAUTHORIZED)
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return self._token_error("bad_verification_code", "The code is incorrect or expired.")
            grant.used = True  # a code is good for one exchange, even a failed one
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._token_error("redirect_uri_mismatch", "The redirect_uri differs from the authorize one.")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if grant.code_challenge_method != "S256" or s256(verifier) != grant.code_challenge:
                return self._token_error("invalid_grant", "The PKCE code_verifier does not match.")
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = grant.user
        logger.info("%s: issued an access token for %s", self.kind, grant.user.login)
        return Response.json(HTTPStatus.OK, {"access_token": access_token, "token_type": "bearer", "scope": ""})

    def _token_error(self, error: str, description: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> Response:
        if self.kind == Kind.GITHUB:
            status = HTTPStatus.OK  # GitHub answers a failed exchange with 200 and an error body
        return Response.json(status, {"error": error, "error_description": description})

    def github_user(self, request: Request) -> Response:
        user = self._user_from_header(request)
        if user is None:
            return Response.json(HTTPStatus.UNAUTHORIZED, {"message": "Bad credentials"})
        profile = {
            "id": user.id,
            "login": user.login,
            "name": user.name,
            "email": user.email,
            "html_url": f"{self.base_url}/{user.login}",
        }
        return Response.json(HTTPStatus.OK, profile)

    def github_emails(self, request: Request) -> Response:
        user = self._user_from_header(request)
        if user is None:
            return Response.json(HTTPStatus.UNAUTHORIZED, {"message": "Bad credentials"})
        emails = [{"email": e.email, "verified": e.verified, "primary": e.primary} for e in user.emails]
        return Response.json(HTTPStatus.OK, emails)

    def gitlab_user(self, request: Request) -> Response:
        user = self._tokens.get(request.query.get("access_token", ""))
        if user is None:
            return Response.json(HTTPStatus.UNAUTHORIZED, {"message": "401 Unauthorized"})
        profile = {
            "id": user.id,
            "username": user.login,
            "name": user.name,
            "email": user.email,
            "web_url": f"{self.base_url}/{user.login}",
        }
        return Response.json(HTTPStatus.OK, profile)

    def _user_from_header(self, request: Request) -> FakeUser | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self._tokens.get(token) if scheme.lower() in {"token", "bearer"} else None


@dataclass
class Request:
    method: str
    full_path: str  # as received, with the mount prefix
    path: str  # below the mount prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass
class Response:
    status: HTTPStatus
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: HTTPStatus, data: Any) -> Response:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8"})

    @classmethod
    def text(cls, status: HTTPStatus, text: str) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    @classmethod
    def redirect(cls, url: str, params: dict[str, str]) -> Response:
        separator = "&" if urlsplit(url).query else "?"
        return cls(HTTPStatus.FOUND, b"", {"Location": f"{url}{separator}{urlencode(params)}"})


class FakeOAuthServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0: a free one) serving the mounted fakes in a daemon thread."""

    def __init__(self, port: int = 0) -> None:
        self._mounts: dict[str, FakeProvider] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def mount(self, base_path: str, provider: FakeProvider) -> FakeProvider:
        base_path = base_path.rstrip("/")
        self._mounts[base_path] = provider
        provider.base_url = f"{self.url}{base_path}"
        return provider

    def start(self) -> FakeOAuthServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-oauth", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """In the calling thread, for the standalone demo."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def dispatch(self, request: Request) -> Response:
        # The longest base path wins, so a GitLab under /gitlab is not mistaken for GitHub at the root.
        for base_path in sorted(self._mounts, key=len, reverse=True):
            if request.full_path == base_path or request.full_path.startswith(f"{base_path}/"):
                provider = self._mounts[base_path]
                request.path = request.full_path[len(base_path) :]
                endpoint = provider.routes.get((request.method, request.path))
                if endpoint is None:
                    continue
                if endpoint not in {"authorize", "token"}:
                    provider.api_requests.append(request.full_path)
                    if provider.api_failure:
                        return Response.json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Server Error"})
                return getattr(provider, endpoint)(request)
        return Response.json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})


def _handler_for(server: FakeOAuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                full_path=parts.path,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            try:
                response = server.dispatch(request)
            except Exception:  # a broken fake must show up as a failed test, not a hung one
                logger.exception("fake OAuth server failed on %s %s", self.command, self.path)
                response = Response.text(HTTPStatus.INTERNAL_SERVER_ERROR, "fake server bug")
            self.send_response(response.status)
            for name, value in {**response.headers, "Content-Length": str(len(response.body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

    return Handler


def default_server(
    port: int = 0, *, client_id: str = "helpdesk-client", client_secret: str = "helpdesk-secret"
) -> tuple[FakeOAuthServer, FakeProvider, FakeProvider]:
    """GitHub at the root (Enterprise layout) and GitLab under /gitlab, both registered with the same client."""
    server = FakeOAuthServer(port)
    github = server.mount("", FakeProvider(Kind.GITHUB, client_id=client_id, client_secret=client_secret))
    gitlab = server.mount("/gitlab", FakeProvider(Kind.GITLAB, client_id=client_id, client_secret=client_secret))
    return server, github, gitlab


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--client-id", default="helpdesk-demo")
    parser.add_argument("--client-secret", default="helpdesk-demo-secret")
    parser.add_argument("--login", default="mona", help="the user who approves every sign-in")
    parser.add_argument("--name", default="Mona Lisa Octocat")
    parser.add_argument("--email", default="mona@example.com")
    parser.add_argument("--unverified", action="store_true", help="GitHub reports the email as unverified")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    server, github, gitlab = default_server(args.port, client_id=args.client_id, client_secret=args.client_secret)
    user = FakeUser(
        login=args.login,
        name=args.name,
        email=args.email,
        emails=[FakeEmail(args.email, verified=not args.unverified, primary=True)],
    )
    github.user = gitlab.user = user
    client = f"CLIENT_ID={args.client_id} CLIENT_SECRET={args.client_secret}"
    print(
        f"Fake GitHub at {github.base_url} and fake GitLab at {gitlab.base_url}, approving as {user.login}.\n"
        "Run the helpdesk with:\n"
        f"  GITHUB_URL={github.base_url} {client.replace('CLIENT_', 'GITHUB_CLIENT_')} \\\n"
        f"  GITLAB_URL={gitlab.base_url} {client.replace('CLIENT_', 'GITLAB_CLIENT_')} \\\n"
        "  .venv/bin/python manage.py runserver",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
