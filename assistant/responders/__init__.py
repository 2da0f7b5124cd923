"""Responders: grounded (default, offline) and LLM (LangChain, when configured)."""
