"""The exceptions known-issue raises on purpose; callers catch KnownIssueError."""


class KnownIssueError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class ConfigError(KnownIssueError):
    """A setting is missing or has a value we cannot use."""


class KnowledgeError(KnownIssueError):
    """The knowledge could not be read or built into a database."""
