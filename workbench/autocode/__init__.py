"""Assisted coding: suggesters propose codings, a person accepts or rejects them.

``engine`` (with ``pipelines``, ``anchors``, ``regexes``) matches a codebook's rules over speaker
turns; ``runs`` stores what they propose as suggestions; ``review`` is the queue a person decides
on; ``evaluation`` scores a run against human codings.
"""
