"""Background loops with one lifecycle each, started and stopped by the app's lifespan."""
