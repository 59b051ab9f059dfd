"""Import records from CSV and XLSX files (see docs/import.md)."""
