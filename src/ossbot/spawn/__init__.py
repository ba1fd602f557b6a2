"""Spawning issues from a specification: its options, and splitting it into tasks."""
