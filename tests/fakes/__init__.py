"""Fakes of the services ossbot talks to, for tests."""
