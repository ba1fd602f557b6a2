"""Prompt templates (Jinja), shipped as the package ossbot.prompts; see README, "Prompts"."""
