"""Pull request review: one living comment per pull request, within API and token budgets."""
