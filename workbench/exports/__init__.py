"""Writers of files people take elsewhere (transcripts, reports, tables, REFI-QDA)."""
