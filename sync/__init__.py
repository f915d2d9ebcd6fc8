"""Destinations: Strava, the S3 data lake, exports, the scheduler and its outbox. No Qt."""
