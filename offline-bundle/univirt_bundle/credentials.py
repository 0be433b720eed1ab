"""Registry/Nexus credentials from a file or the environment, never from argv."""

import os
import stat

from .errors import UsageError

USER_ENV, PASSWORD_ENV = "UNIVIRT_NEXUS_USER", "UNIVIRT_NEXUS_PASSWORD"


def load(path, required):
    """(user, password) or None. File format: lines 'user=NAME' and 'password=SECRET'."""
    if path:
        try:
            st = os.stat(path)
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise UsageError(f"cannot read credentials file '{path}': {e.strerror}") from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            import sys
            sys.stderr.write(f"warning: credentials file '{path}' is readable by others; "
                             f"chmod 600 it\n")
        values = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
        if not values.get("user") or "password" not in values:
            raise UsageError(f"credentials file '{path}' needs lines 'user=...' and "
                             f"'password=...'")
        return values["user"], values["password"]
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user and password is not None:
        return user, password
    if required:
        raise UsageError(f"no credentials: pass --credentials-file FILE or set {USER_ENV} "
                         f"and {PASSWORD_ENV}")
    return None
