"""Customers: identity, profiles, tiers, SLA attainment, overdue reorders, churn."""
