"""The delivery engine: claim rows from the outbox, send, record the outcome."""
