"""The hardened edges of the workbench: untrusted files in (size caps, zip checks, safe YAML)
and files out that are never left half-written (atomic writes)."""
