"""forecast.html (stub)."""

from l2csim.output import write_text


def write_page(path, result, study):
    return write_text(path, "<html></html>")
