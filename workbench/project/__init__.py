"""Projects (studies) and coders (the people who code)."""
