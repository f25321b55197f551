"""What an upload may be, and the refusals (bilingual, located) when it is not: one file
of an accepted kind (documents/sniffing.py), not empty, at most DOCUMENT_MAX_BYTES, and at
most DOCUMENT_MAX_PENDING documents per applicant that no case references yet."""

from documents.sniffing import Kind, sniff
from domain.text import Text
from forms.messages import Problem

ACCEPTED = "PDF, JPEG, PNG"


class DocumentRefused(Exception):
    """An upload or a read refused: the status, and the one problem in both languages."""

    def __init__(self, status: int, code: str, loc: str, message: Text, fix: Text):
        super().__init__(code)
        self.status = status
        self.problem = Problem(loc=loc, code=code, message=message, fix=fix)


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def checked_kind(data: bytes, max_bytes: int) -> Kind:
    """The kind of an uploaded content; DocumentRefused if it is empty, too large or not
    a PDF, JPEG or PNG by its first bytes."""
    if not data:
        raise DocumentRefused(
            422,
            "file_empty",
            "file",
            Text(zh="上传的文件是空的（0 字节）", en="The uploaded file is empty (0 bytes)"),
            Text(zh="请选择有内容的文件重新上传", en="Choose a file with content and upload it"),
        )
    if len(data) > max_bytes:
        raise DocumentRefused(
            413,
            "file_too_large",
            "file",
            Text(
                zh=f"文件超过 {_mib(max_bytes)} MiB 上限",
                en=f"The file exceeds the {_mib(max_bytes)} MiB limit",
            ),
            Text(
                zh="请压缩或降低扫描分辨率后重新上传",
                en="Compress it or scan at a lower resolution, then upload it again",
            ),
        )
    kind = sniff(data)
    if kind is None:
        raise DocumentRefused(
            422,
            "file_type",
            "file",
            Text(
                zh=f"只接受 {ACCEPTED} 文件（按文件内容判断，而非文件名）",
                en=f"Only {ACCEPTED} files are accepted (judged by content, not by name)",
            ),
            Text(
                zh="请将材料扫描或导出为 PDF、JPEG 或 PNG 后上传",
                en="Scan or export the material as PDF, JPEG or PNG and upload that",
            ),
        )
    return kind


def check_pending(pending: int, limit: int) -> None:
    """DocumentRefused (409) when the applicant already holds `limit` unreferenced uploads."""
    if pending >= limit:
        raise DocumentRefused(
            409,
            "too_many_documents",
            "file",
            Text(
                zh=f"已有 {pending} 份尚未用于申请的上传文件，上限为 {limit} 份",
                en=f"{pending} uploads are not used by an application yet; at most {limit}",
            ),
            Text(
                zh="请先提交使用这些文件的申请或补正",
                en="Submit the application or supplement that uses them first",
            ),
        )
