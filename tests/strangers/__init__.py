"""Databases devkit has never seen, built in the tests."""
