"""Business rules, free of request objects."""
