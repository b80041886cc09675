"""SQLite storage: one database file per user (audit trail, grants, and later episodes), with named migrations."""
