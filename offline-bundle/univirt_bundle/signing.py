"""minisign signatures: the secret key comes from a file, never from the command line.

An encrypted key's password is read from $UNIVIRT_SIGNING_KEY_PASSWORD and fed to minisign on
stdin; an unencrypted key (minisign -G -W) needs none.
"""

import os

from .errors import BundleError, UsageError
from .util import require_tool, run

KEY_ENV = "UNIVIRT_SIGNING_KEY_FILE"
PASSWORD_ENV = "UNIVIRT_SIGNING_KEY_PASSWORD"


def secret_key_path(cli_key):
    path = cli_key or os.environ.get(KEY_ENV)
    if not path:
        raise UsageError(f"no signing key: pass --key FILE or set {KEY_ENV}")
    if not os.path.isfile(path):
        raise UsageError(f"signing key file '{path}' does not exist")
    return path


def public_key_from_secret(secret_path):
    """The public key next to the secret one (minisign's FILE.pub or univirt-release.pub)."""
    for candidate in (secret_path.removesuffix(".key") + ".pub", secret_path + ".pub",
                      os.path.join(os.path.dirname(secret_path), "univirt-release.pub")):
        if os.path.isfile(candidate):
            return candidate
    return None


def sign(secret_path, message_path, trusted_comment):
    minisign = require_tool("minisign", "minisign")
    password = os.environ.get(PASSWORD_ENV, "")
    stdin = (password + "\n").encode() if password else b"\n"
    run([minisign, "-S", "-s", secret_path, "-m", message_path, "-x", message_path + ".minisig",
         "-t", trusted_comment], input_bytes=stdin, what="minisign signing")
    return message_path + ".minisig"


def verify(public_path, message_path, signature_path):
    """Raises BundleError naming the file when the signature does not match."""
    minisign = require_tool("minisign", "minisign")
    try:
        run([minisign, "-V", "-q", "-p", public_path, "-m", message_path, "-x", signature_path],
            what="minisign")
    except BundleError as e:
        raise BundleError(f"signature check of '{os.path.basename(message_path)}' failed "
                          f"with key '{public_path}': {e}") from None
