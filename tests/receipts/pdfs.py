"""Reading the PDFs back: their text (pypdf) and the URL their QR code carries."""

import io

from pypdf import PdfReader

from receipts.rendering import QR_BORDER, qr_code


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def qr_carries(pdf: bytes, url: str) -> bool:
    """Whether the PDF's first page holds a QR code of `url`, module for module (the image
    is embedded one pixel per module, so it is compared with the code segno makes)."""
    [embedded] = PdfReader(io.BytesIO(pdf)).pages[0].images
    pixels = embedded.image.convert("L")
    modules = [list(row) for row in qr_code(url).matrix_iter(scale=1, border=QR_BORDER)]
    if pixels.size != (len(modules[0]), len(modules)):
        return False
    return all(
        (pixels.getpixel((x, y)) < 128) == bool(dark)
        for y, row in enumerate(modules)
        for x, dark in enumerate(row)
    )
