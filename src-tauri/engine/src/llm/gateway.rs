//! The LLM gateway for agents (see issue 6).
