"""The display name of an upload: what the client called the file, made harmless.

The name is never used as a path (blobs are stored under their SHA-256): it is only shown,
and offered in Content-Disposition. Folders, control and format characters, markup and
quoting characters are dropped, the length bounded, and the extension is the one of the
kind the content was sniffed as (a "photo.jpg" that is a PDF is shown as "photo.pdf").
"""

import re
import unicodedata

MAX_STEM = 80
# letters, marks and digits of any script, spaces and a few harmless signs
_UNSAFE = re.compile(r"[^\w\s.()\[\]（）【】·,，+-]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def display_name(filename: str | None, extension: str) -> str:
    """A safe display name ending in `.extension`; "document.<extension>" if nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", filename or ""))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _SPACES.sub(" ", _UNSAFE.sub("", stem)).strip(" .")[:MAX_STEM].strip(" .")
    return f"{stem or 'document'}.{extension}"
