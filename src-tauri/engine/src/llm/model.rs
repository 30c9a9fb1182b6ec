//! Ollama's models as the UI and the API see them (see issue 6).
