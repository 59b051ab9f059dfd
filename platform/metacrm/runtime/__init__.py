"""The running CRM: records, queries, audit, customizations (no Flask here)."""
