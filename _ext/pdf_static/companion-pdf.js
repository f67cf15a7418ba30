// Written by _ext/pdf_download.py and by make pdf (tools/make_pdf.py).
/* The companion's PDF was not built (make pdf): its download button stays hidden. */
