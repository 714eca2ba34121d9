"""Status values of report_status (one row per input file; the run goes on whatever happens).

==================  ==========================================================================
``ok``              text extracted and counted
``no_text_layer``   PDF pages are images (scanned report); needs OCR, not counted
``encrypted``       PDF needs a user password
``corrupt``         file cannot be parsed (damaged PDF, unreadable file, unsupported type)
``empty``           0 bytes, no pages, or no text at all
``undecodable``     TXT/HTML bytes that no tried encoding turns into plausible Chinese text (UTF-16
                    without BOM, Big5, replacement characters); the reason names the encodings tried
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
UNDECODABLE = "undecodable"
UNIDENTIFIED = "unidentified"
DUPLICATE = "duplicate"
PENDING = "pending"  # scanned, not yet processed (scan_reports output only)

STATUSES = (OK, NO_TEXT_LAYER, ENCRYPTED, CORRUPT, EMPTY, UNDECODABLE, UNIDENTIFIED, DUPLICATE)
