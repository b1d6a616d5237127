"""Dockerfile rules (FS1xx): judge the final stage and what reaches it, one module per rule."""
