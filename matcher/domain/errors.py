"""The one error type services raise: a code with parameters, of one of a few kinds.

Services never say a sentence and never pick an HTTP status: they raise
`Refused("wrong_status", status="ended")`, and the web layer looks the code up in its
one message table and answers by kind (404, 409, 400). The command line prints the
same message. Views never parse an exception's text.
"""

from typing import Any, ClassVar


class ServiceError(Exception):
    """A use case could not be done; `code` and `params` say why, `kind` how bad."""

    kind: ClassVar[str] = "invalid"

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, **{self.params!r})"


class NotFound(ServiceError):
    """The thing asked for does not exist (or is not the asker's to see)."""

    kind = "not_found"


class Conflict(ServiceError):
    """Someone else changed the data meanwhile, or took what this step needed."""

    kind = "conflict"


class Refused(ServiceError):
    """The current state does not allow this step (e.g. resuming an ended Patenschaft)."""

    kind = "refused"


class Invalid(ServiceError):
    """The input breaks a rule the form should have caught."""

    kind = "invalid"
