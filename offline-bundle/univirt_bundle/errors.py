"""The one exception type the tool raises for conditions an operator can fix."""


class BundleError(Exception):
    """A whole-sentence message for the operator; the CLI prints it and exits 1."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(BundleError):
    """Bad command line or configuration: exit code 2."""

    def __init__(self, message):
        super().__init__(message, exit_code=2)
