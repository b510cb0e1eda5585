"""The CLI's commands, by who runs them: ``operate``, ``develop``, ``deploy``."""
