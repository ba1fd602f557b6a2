"""Issue triage: a summary comment and labels from the repository's own label set."""
