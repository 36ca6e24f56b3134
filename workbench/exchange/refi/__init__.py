"""REFI-QDA exchange (QDA-XML 1.0): projects as ``.qdpx`` and codebooks as ``.qdc``, written
(``writer``) and read on a hardened path (``reader``, ``archive``), with other tools' offset
conventions converted (``selections``)."""
