"""Webhooks: events written to an outbox in the transaction of the change, delivered signed (Standard
Webhooks) to each subscribed integration, with retries and a delivery log."""
