"""The stages of one report: fill, check, freeze, verify (and signing)."""
