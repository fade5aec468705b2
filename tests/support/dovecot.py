"""A real Dovecot (IMAP and POP3, over TLS and STARTTLS) on 127.0.0.1, started in a temporary folder with its own
configuration (never the system's), and accounts made on the fly.

Debian's `dovecot-imapd` and `dovecot-pop3d` provide it (`.ci/run` installs them); tests using it skip when the
binary is missing, except in CI (REQUIRE_DOVECOT=1).
"""

from __future__ import annotations

import datetime
import imaplib
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import free_ports

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ACCOUNTS = 500  # per test session (per xdist worker)


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


@dataclass
class Account:
    username: str
    password: str


@dataclass
class Dovecot:
    folder: Path
    ca_file: Path
    imap_port: int  # STARTTLS
    imaps_port: int  # implicit TLS
    pop3_port: int  # STARTTLS (STLS)
    pop3s_port: int  # implicit TLS
    process: subprocess.Popen[bytes]
    accounts: list[Account]

    def account(self) -> Account:
        """A fresh, empty mailbox: every test gets its own. (Made before the start: Dovecot re-reads a changed
        passwd-file by its modification time, which misses two changes within one second.)"""
        return self.accounts.pop()

    def client(self, account: Account) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=10)
        client.login(account.username, account.password)
        return client

    def append(self, account: Account, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message the way a mail client would: IMAP APPEND."""
        client = self.client(account)
        try:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def folder_uids(self, account: Account, folder: str, criteria: str = "ALL") -> list[int]:
        client = self.client(account)
        try:
            status, _ = client.select(f'"{folder}"')
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", None, criteria)
            return [int(uid) for uid in (data[0] or b"").split()]
        finally:
            client.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _users() -> tuple[str, str, int, int]:
    """Dovecot's own service users when we are root (its package made them); ourselves otherwise."""
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", mail_user.pw_uid, mail_user.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


def start_dovecot() -> Dovecot:
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    folder.chmod(0o755)  # the login and mail processes run as other users and must reach their files
    cert, key = _write_certificate(folder)
    internal_user, login_user, uid, gid = _users()
    (folder / "mail").mkdir()
    os.chown(folder / "mail", uid, gid)
    accounts = [Account(f"u{secrets.token_hex(6)}", secrets.token_urlsafe(12)) for _ in range(ACCOUNTS)]
    (folder / "passwd").write_text("".join(f"{a.username}:{{PLAIN}}{a.password}::::::\n" for a in accounts))
    ports = dict(zip(("imap", "imaps", "pop3", "pop3s"), free_ports(4), strict=True))
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
pop3_uidl_format = %g
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {ports["imap"]}
  }}
  inet_listener imaps {{
    port = {ports["imaps"]}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports["pop3"]}
  }}
  inet_listener pop3s {{
    port = {ports["pop3s"]}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dovecot = Dovecot(
        folder=folder,
        ca_file=cert,
        imap_port=ports["imap"],
        imaps_port=ports["imaps"],
        pop3_port=ports["pop3"],
        pop3s_port=ports["pop3s"],
        process=process,
        accounts=accounts,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"dovecot exited: {output}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", ports["imaps"]), timeout=1):
                return dovecot
        except OSError:
            time.sleep(0.1)
    dovecot.stop()
    raise RuntimeError("dovecot did not start listening within 20 s")
