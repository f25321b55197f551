"""What a case hands out on paper: the acceptance receipt (受理回执) with its case number,
and each issued output as an electronic certificate (电子证照) whose QR code opens the
public /verify/{code} page. PDFs rendered with weasyprint; QR codes drawn by segno."""
