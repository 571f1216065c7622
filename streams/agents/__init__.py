"""Faust agents: thin adapters. Each reads like a sentence: decode → one domain call → send → count."""
