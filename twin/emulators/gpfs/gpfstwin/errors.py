"""Failures the way mm commands report them: 'mmXXX: text' on stderr and a non-zero exit."""


class MMError(Exception):
    """A command failure; rc 1 like the mm scripts' cleanupAndExit default."""

    def __init__(self, message: str, rc: int = 1, extra: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.rc = rc
        self.extra = extra  # further lines, printed after the message


class UsageError(MMError):
    """Bad arguments: the real commands print a one-line reason and their Usage text."""

    def __init__(self, message: str, usage: str = ""):
        super().__init__(message, rc=1, extra=(f"Usage: {usage}",) if usage else ())


COMMAND_FAILED = "6027-1639 Command failed. Examine previous error messages to determine cause."
