"""hakusho — the Customer Success White Paper, rebuilt from respondent-level survey data."""

__version__ = "0.1.0"
