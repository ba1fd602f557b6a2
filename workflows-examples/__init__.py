"""The example workflows, shipped as the package ossbot.workflows for `ossbot init` (README, "Setting up the workflow")."""
