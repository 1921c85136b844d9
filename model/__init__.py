"""credscore: who vouches for what in a news article, and how firmly.

>>> import credscore
>>> model = credscore.load_model()
>>> model.score(open("article.txt").read()).profile.reliability
"""

__version__ = "0.2.0"

__all__ = ["ArticleScore", "CredscoreModel", "ScoringConfig", "SentencePrediction", "__version__", "load_model"]

_API = {"load_model": "credscore.api", "CredscoreModel": "credscore.api", "ArticleScore": "credscore.results",
        "SentencePrediction": "credscore.results", "ScoringConfig": "credscore.scoring"}


def __getattr__(name: str):
    # Lazy (PEP 562): `import credscore.x` stays cheap, and no submodule imports the package's API.
    if name in _API:
        from importlib import import_module

        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'credscore' has no attribute {name!r}")
