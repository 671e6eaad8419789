"""Training: requests, the FLAML search, the delivered model."""
