"""Leads from outside systems: the intake endpoint's work, source tokens, rate limits
and pull-style sources run as scheduled jobs (docs/intake.md)."""
