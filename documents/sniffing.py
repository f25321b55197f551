"""What a document is, told by its first bytes (magic numbers), never by its name or the
Content-Type the client sent: PDF, JPEG and PNG are accepted, nothing else."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    magic: bytes


KINDS = (
    Kind("application/pdf", "pdf", b"%PDF-"),
    Kind("image/jpeg", "jpg", b"\xff\xd8\xff"),
    Kind("image/png", "png", b"\x89PNG\r\n\x1a\n"),
)
BY_TYPE = {kind.content_type: kind for kind in KINDS}


def sniff(data: bytes) -> Kind | None:
    """The accepted kind `data` starts as, or None (an executable, a text, anything else)."""
    return next((kind for kind in KINDS if data.startswith(kind.magic)), None)
