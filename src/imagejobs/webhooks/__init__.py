"""Webhooks (README, "Webhooks"): callback URLs, Standard Webhooks signatures, and the delivery
of a job's one event through its own queue. Imports nothing platform."""
