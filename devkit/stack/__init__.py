"""The local stack: the compose file as the one description, run by the Docker or the native runtime."""
