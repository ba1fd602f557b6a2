"""ossbot: a maintainer's bot for GitHub."""

__version__ = "0.1.0"
