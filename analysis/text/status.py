"""Status values of report_status (one row per input file; the run goes on whatever happens).

==================  ==========================================================================
``ok``              text extracted and counted
``no_text_layer``   PDF pages are images (scanned report); needs OCR, not counted
``encrypted``       PDF needs a user password
``corrupt``         file cannot be parsed (damaged PDF, unreadable file, unsupported type)
``empty``           0 bytes, no pages, or no text at all
``unidentified``    stock code / fiscal year not found in the file name or manifest, or the file
                    is not a full annual report (summary 摘要, English version)
``duplicate``       another file was kept for the same firm-year (reason names it)
==================  ==========================================================================
"""

OK = "ok"
NO_TEXT_LAYER = "no_text_layer"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
EMPTY = "empty"
UNIDENTIFIED = "unidentified"
DUPLICATE = "duplicate"
PENDING = "pending"  # scanned, not yet processed (scan_reports output only)

STATUSES = (OK, NO_TEXT_LAYER, ENCRYPTED, CORRUPT, EMPTY, UNIDENTIFIED, DUPLICATE)
