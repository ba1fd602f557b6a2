"""The gateway over GitHub's REST API, and the hidden markers ossbot leaves in what it writes."""
