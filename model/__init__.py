"""credscore: who vouches for what in a news article, and how firmly."""

__version__ = "0.1.0"
