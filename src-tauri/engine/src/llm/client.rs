//! The Ollama HTTP client (see issue 6).
