"""One module per screen, imported on first view so start-up stays fast."""
