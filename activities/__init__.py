"""Department activities (one module per department), the simulated department back-end and
the read-model writers."""
