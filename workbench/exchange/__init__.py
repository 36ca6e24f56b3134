"""Files people take elsewhere and bring back: REFI-QDA projects and codebooks (``refi``), the
Word report (``docx_report``, fed by ``gather``), tables for spreadsheets (``tables``) and
transcripts as TXT/SRT/VTT/DOCX (``transcript``)."""
