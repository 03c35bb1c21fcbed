"""Word lists for the name recognizer (a package so the .txt files ship as package data)."""
