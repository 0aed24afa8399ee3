"""Views: pure functions from model objects (and a resolver) to netstat's lines of text.

Views never open a file or write to a stream; the CLI writes what they return.
"""
