"""Pieces of the app shared by several pages."""
