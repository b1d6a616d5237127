"""The exception tree of finalstage.

Every error a user can cause is a ``FinalstageError``; the CLI catches exactly that class, prints
``finalstage: <message>`` as one line on stderr and exits 2. Anything else is a bug.

::

    FinalstageError
    ├── UsageError                     bad CLI input, config or policy file
    ├── DockerfileError
    │   └── DockerfileSyntaxError      path, line
    └── ImageError
        ├── InvalidReferenceError      an image reference that cannot be parsed
        ├── ImageNotFoundError         no such file, tag, platform or repository
        ├── UnsupportedMediaTypeError  an artifact that is not an image, an unknown layer type
        ├── CorruptImageError          truncated archive, bad JSON, missing blob
        │   ├── DigestMismatchError    expected, actual
        │   └── UnsafeArchiveError     traversal, link escape, decompression/entry limits
        └── RegistryError              status, codes, temporary (retry)
            └── RegistryAuthError

Messages are lower-case, put the context first and include the offending value:
``reading layer sha256:ab12…: unexpected end of gzip stream``.
"""

from __future__ import annotations


class FinalstageError(Exception):
    """Base class of every error finalstage reports to its user."""


class UsageError(FinalstageError):
    """Bad command-line input, configuration or policy file."""


class DockerfileError(FinalstageError):
    """A Dockerfile that cannot be read or understood."""


class DockerfileSyntaxError(DockerfileError):
    """A Dockerfile the BuildKit parser rejects."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path or "<dockerfile>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class ImageError(FinalstageError):
    """An image that cannot be read."""


class InvalidReferenceError(ImageError):
    """An image reference that cannot be parsed."""


class ImageNotFoundError(ImageError):
    """The file, tag, platform, repository or blob does not exist."""


class UnsupportedMediaTypeError(ImageError):
    """An artifact that is not a container image, or a layer type finalstage cannot read."""


class CorruptImageError(ImageError):
    """Truncated archive, malformed JSON, missing blob: the image is broken."""


class DigestMismatchError(CorruptImageError):
    """Content whose digest is not the one the manifest or config promises."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"{what}: digest mismatch: expected {expected}, got {actual}")


class UnsafeArchiveError(CorruptImageError):
    """Path traversal, link escape, or a resource limit (bomb) was hit."""


class RegistryError(ImageError):
    """A registry answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        codes: tuple[str, ...] = (),
        is_temporary: bool = False,
    ) -> None:
        self.status = status
        self.codes = codes
        self.is_temporary = is_temporary
        super().__init__(message)


class RegistryAuthError(RegistryError):
    """The registry refused the credentials (or their absence)."""


__all__ = [
    "CorruptImageError",
    "DigestMismatchError",
    "DockerfileError",
    "DockerfileSyntaxError",
    "FinalstageError",
    "ImageError",
    "ImageNotFoundError",
    "InvalidReferenceError",
    "RegistryAuthError",
    "RegistryError",
    "UnsafeArchiveError",
    "UnsupportedMediaTypeError",
    "UsageError",
]
