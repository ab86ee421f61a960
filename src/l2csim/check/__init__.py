"""Checking an event log's data quality: the upstream faults of order management."""
