"""known-issue: answer pasted errors with the matching entry of a troubleshooting log."""

__version__ = "0.1.0"
