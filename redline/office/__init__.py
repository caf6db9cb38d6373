"""The review office: who uses the service (users and roles) and what they did (the audit log)."""
