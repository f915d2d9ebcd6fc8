"""Training log services: daily summary, goals, exercise catalog, PRs, body metrics. No Qt."""
