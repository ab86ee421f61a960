"""Validation: does the fitted as-is model reproduce the log it was fitted from?

Modules: measures (distances between two logs), naive (the log a know-nothing model would
produce, to read the distances against), run (`l2csim validate`).
"""

from l2csim.validation.run import ValidationResult, validate

__all__ = ["ValidationResult", "validate"]
