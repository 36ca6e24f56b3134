"""Local transcription: Whisper engines (``engines``), models shipped in Python packages
(``models``), audio decoding (``audio``), one recording at a time (``transcribe``), and queued
jobs (``jobs``) that a worker process runs (``worker``)."""
