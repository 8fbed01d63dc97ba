"""Events and webhooks: the outbox written with each change, the endpoints that hear of them,
and the worker that posts each event to each endpoint (docs/webhooks.md)."""
