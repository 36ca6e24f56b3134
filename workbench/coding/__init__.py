"""Coding: applying codes to spans of text (``codings``), memos, hand codings imported as quotes
(``quotes_import``) and what the coding page shows of a transcript (``transcript_view``)."""
