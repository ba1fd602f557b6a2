"""Labels learned from a repository's labelled issues: the classifier, similarity, and backtests."""
