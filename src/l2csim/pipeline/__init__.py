"""The whole study: its stages in order, the manifest that lets it resume, its progress."""
