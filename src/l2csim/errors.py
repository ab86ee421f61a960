"""Errors a user can cause and fix. The CLI turns them into one line and a non-zero exit."""


class L2csimError(Exception):
    """Base class: the message names the file, the place and the fix."""


class InputError(L2csimError):
    """An input file (event log, model, reference process) cannot be used as it is."""


class StudyError(L2csimError):
    """A study or scenario YAML file is invalid."""
