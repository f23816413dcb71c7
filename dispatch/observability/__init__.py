"""What an operator sees of a running AJIB: JSON logs with a request id, Prometheus metrics."""
