"""Codebooks: the YAML file format (``format``) and the rule language inside it (``rules``),
codebooks in the database (``storage``), finding codes (``lookup``) and editing the tree (``tree``)."""
