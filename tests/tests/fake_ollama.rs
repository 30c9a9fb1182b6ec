//! The fake Ollama itself: it must answer the way Ollama's published API
//! says, so that what passes against it means something against the real one.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sutazai_tests::fake_ollama::{
    default_reply, json_reply, FakeModel, FakeOllama, Fault, LOAD_NS, NS_PER_TOKEN, REPLY_PREFIX,
};

const MODEL: &str = "llama3.2:1b";

async fn fake() -> FakeOllama {
    FakeOllama::start(vec![FakeModel::new(MODEL), FakeModel::new("qwen2.5-coder:1.5b")])
        .await
        .expect("the fake starts")
}

async fn post(ollama: &FakeOllama, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", ollama.url()))
        .json(&body)
        .send()
        .await
        .expect("the fake answers")
}

/// Reads a body chunk by chunk, as a streaming client does: what arrived,
/// and whether the body ended in error (the connection was dropped).
async fn read_all(mut response: reqwest::Response) -> (String, bool) {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => return (String::from_utf8(bytes).expect("UTF-8"), false),
            Err(_) => return (String::from_utf8(bytes).expect("UTF-8"), true),
        }
    }
}

fn ndjson(body: &str) -> Vec<Value> {
    assert!(body.ends_with('\n'), "NDJSON ends each line: {body:?}");
    body.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// A complete NDJSON stream from `path`: its raw text, then its objects
/// split into the final one and the chunks before it.
async fn stream(ollama: &FakeOllama, path: &str, body: Value) -> (String, Value, Vec<Value>) {
    let response = post(ollama, path, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/x-ndjson");
    let (text, broken) = read_all(response).await;
    assert!(!broken, "the stream broke off: {text}");
    let mut lines = ndjson(&text);
    let last = lines.pop().expect("at least the final object");
    (text, last, lines)
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"].to_str().expect("ASCII").to_string()
}

fn uint(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is a count: {value}"))
}

/// The statistics of a final object, as Ollama documents them.
fn assert_final_stats(last: &Value, prompt_words: u64, chunks: u64) {
    assert_eq!(last["done"], true, "{last}");
    assert_eq!(last["done_reason"], "stop", "{last}");
    assert_eq!(uint(last, "prompt_eval_count"), prompt_words, "{last}");
    assert_eq!(uint(last, "eval_count"), chunks, "{last}");
    // Durations are nanoseconds.
    assert_eq!(uint(last, "prompt_eval_duration"), prompt_words * NS_PER_TOKEN);
    assert_eq!(uint(last, "eval_duration"), chunks * NS_PER_TOKEN);
    assert_eq!(uint(last, "load_duration"), LOAD_NS);
    let parts = uint(last, "load_duration") + uint(last, "prompt_eval_duration") + uint(last, "eval_duration");
    assert!(uint(last, "total_duration") >= parts, "{last}");
    assert!(
        uint(last, "total_duration") >= 1_000_000,
        "a millisecond at least, in ns: {last}"
    );
}

fn assert_timestamp(value: &Value) {
    let at = value["created_at"].as_str().expect("created_at is a string");
    // e.g. 2026-11-01T10:00:00.123456789Z
    assert_eq!(at.len(), 30, "{at}");
    assert!(at.starts_with("20") && at.ends_with('Z') && &at[10..11] == "T", "{at}");
}

#[tokio::test]
async fn generate_streams_ndjson_chunks_that_add_up_to_the_whole_answer() {
    let ollama = fake().await;
    let prompt = "Why is the sky blue? Answer briefly.";
    // No "stream" field: Ollama streams by default.
    let (body, last, chunks) = stream(&ollama, "/api/generate", json!({ "model": MODEL, "prompt": prompt })).await;
    let (last, chunks) = (&last, chunks.as_slice());
    assert!(chunks.len() > 1, "several chunks: {body}");
    for chunk in chunks {
        assert_eq!(chunk["model"], MODEL);
        assert_eq!(chunk["done"], false);
        assert!(chunk["response"].is_string());
        assert!(chunk.get("eval_count").is_none(), "stats come last: {chunk}");
        assert_timestamp(chunk);
    }
    let streamed: String = chunks.iter().map(|c| c["response"].as_str().unwrap()).collect();
    assert_eq!(streamed, default_reply(prompt));
    assert!(streamed.starts_with(REPLY_PREFIX) && streamed.contains("sky blue"));

    assert_eq!(last["model"], MODEL);
    assert_eq!(last["response"], "");
    assert_final_stats(last, 7, chunks.len() as u64);
    assert!(!last["context"].as_array().unwrap().is_empty());
    assert_timestamp(last);

    let response = post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": prompt, "stream": false }),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/json"));
    let whole: Value = response.json().await.unwrap();
    assert_eq!(whole["response"], streamed.as_str());
    assert_eq!(whole["model"], MODEL);
    assert_final_stats(&whole, 7, chunks.len() as u64);
    assert_eq!(whole["context"], last["context"]);
}

#[tokio::test]
async fn generate_counts_the_system_prompt_too() {
    let ollama = fake().await;
    let body = json!({ "model": MODEL, "prompt": "two words", "system": "be short", "stream": false });
    let whole: Value = post(&ollama, "/api/generate", body).await.json().await.unwrap();
    assert_eq!(whole["response"], default_reply("two words"));
    assert_final_stats(&whole, 4, 5); // "fake reply to: two words" is 5 words
}

#[tokio::test]
async fn chat_streams_assistant_messages_that_add_up_to_the_whole_answer() {
    let ollama = fake().await;
    let messages = json!([
        { "role": "system", "content": "You are terse." },
        { "role": "user", "content": "Name a colour." },
        { "role": "assistant", "content": "Blue." },
        { "role": "user", "content": "Another one, please." },
    ]);
    let (body, last, chunks) = stream(&ollama, "/api/chat", json!({ "model": MODEL, "messages": messages })).await;
    let (last, chunks) = (&last, chunks.as_slice());
    assert!(chunks.len() > 1, "{body}");
    for chunk in chunks {
        assert_eq!(chunk["model"], MODEL);
        assert_eq!(chunk["done"], false);
        assert_eq!(chunk["message"]["role"], "assistant");
        assert!(chunk.get("response").is_none(), "chat has no `response`: {chunk}");
        assert_timestamp(chunk);
    }
    let streamed: String = chunks
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap())
        .collect();
    // About the last user message.
    assert_eq!(streamed, default_reply("Another one, please."));

    assert_eq!(last["message"], json!({ "role": "assistant", "content": "" }));
    // 3 + 3 + 1 + 3 words in the messages.
    assert_final_stats(last, 10, chunks.len() as u64);
    assert!(last.get("context").is_none(), "chat has no context: {last}");

    let response = post(
        &ollama,
        "/api/chat",
        json!({ "model": MODEL, "messages": messages, "stream": false }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let whole: Value = response.json().await.unwrap();
    assert_eq!(
        whole["message"],
        json!({ "role": "assistant", "content": streamed.as_str() })
    );
    assert_final_stats(&whole, 10, chunks.len() as u64);
}

#[tokio::test]
async fn an_unknown_model_is_a_404_in_ollamas_words() {
    let ollama = fake().await;
    for (path, body) in [
        ("/api/generate", json!({ "model": "mistral:7b", "prompt": "hi" })),
        (
            "/api/generate",
            json!({ "model": "mistral:7b", "prompt": "hi", "stream": false }),
        ),
        (
            "/api/chat",
            json!({ "model": "mistral:7b", "messages": [{ "role": "user", "content": "hi" }] }),
        ),
    ] {
        let response = post(&ollama, path, body).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(content_type(&response).starts_with("application/json"));
        let error: Value = response.json().await.unwrap();
        assert_eq!(
            error,
            json!({ "error": "model \"mistral:7b\" not found, try pulling it first" })
        );
    }
}

#[tokio::test]
async fn a_model_name_without_a_tag_means_latest() {
    let ollama = FakeOllama::start(vec![FakeModel::new("tinyllama:latest")])
        .await
        .unwrap();
    let body = json!({ "model": "tinyllama", "prompt": "hi", "stream": false });
    let response = post(&ollama, "/api/generate", body).await;
    assert_eq!(response.status(), 200);
    let whole: Value = response.json().await.unwrap();
    assert_eq!(whole["model"], "tinyllama", "the name as asked");
    let response = post(
        &ollama,
        "/api/generate",
        json!({ "model": "tinyllama:1b", "prompt": "hi" }),
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_missing_or_malformed_body_is_a_400_with_an_error() {
    let ollama = fake().await;
    let client = reqwest::Client::new();
    for path in ["/api/generate", "/api/chat"] {
        let url = format!("{}{path}", ollama.url());
        for (body, expected) in [
            ("", Some("missing request body")),
            ("{not json", None),
            (r#"{"model": 5}"#, None),
            (r#"{"prompt": "hi", "messages": []}"#, Some("model is required")),
        ] {
            let response = client.post(&url).body(body).send().await.unwrap();
            assert_eq!(response.status(), 400, "{path} {body:?}");
            let error: Value = response.json().await.unwrap();
            let message = error["error"].as_str().unwrap_or_else(|| panic!("{error}"));
            assert!(!message.is_empty());
            if let Some(expected) = expected {
                assert_eq!(message, expected);
            }
        }
    }
}

#[tokio::test]
async fn nothing_to_answer_only_loads_the_model() {
    let ollama = fake().await;
    for (path, body, field) in [
        ("/api/generate", json!({ "model": MODEL }), "response"),
        ("/api/chat", json!({ "model": MODEL, "messages": [] }), "message"),
    ] {
        let response = post(&ollama, path, body).await;
        assert_eq!(response.status(), 200);
        let done: Value = response.json().await.unwrap();
        assert_eq!(done["done"], true, "{done}");
        assert_eq!(done["done_reason"], "load", "{done}");
        assert!(done.get(field).is_some(), "{done}");
    }
}

#[tokio::test]
async fn the_same_prompt_gets_the_same_answer() {
    let ollama = fake().await;
    let ask = |prompt: &str| {
        let body = json!({ "model": MODEL, "prompt": prompt, "stream": false });
        let request = post(&ollama, "/api/generate", body);
        async move {
            let whole: Value = request.await.json().await.unwrap();
            whole["response"].as_str().unwrap().to_string()
        }
    };
    let first = ask("Write a haiku about containers").await;
    assert_eq!(first, ask("Write a haiku about containers").await);
    assert_ne!(first, ask("Write a haiku about volumes").await);

    let long = "word ".repeat(100);
    let answer = ask(&long).await;
    assert_eq!(
        answer.chars().count(),
        REPLY_PREFIX.len() + 80,
        "the prompt is cut: {answer}"
    );

    let chat = |content: &str| {
        let body = json!({ "model": MODEL, "messages": [{ "role": "user", "content": content }], "stream": false });
        let request = post(&ollama, "/api/chat", body);
        async move {
            let whole: Value = request.await.json().await.unwrap();
            whole["message"]["content"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(chat("hello there").await, chat("hello there").await);
    assert_eq!(chat("hello there").await, default_reply("hello there"));
}

#[tokio::test]
async fn a_canned_reply_answers_everything_until_cleared() {
    let ollama = fake().await;
    let canned = "The answer is 42, as everyone knows.";
    ollama.set_reply(Some(canned.into()));

    let whole: Value = post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": "anything", "format": "json", "stream": false }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(whole["response"], canned);
    assert_eq!(uint(&whole, "eval_count"), 7);

    let (body, _) = read_all(post(&ollama, "/api/generate", json!({ "model": MODEL, "prompt": "x" })).await).await;
    let lines = ndjson(&body);
    let (_, chunks) = lines.split_last().unwrap();
    assert_eq!(chunks.len(), 7, "one chunk a word");
    let streamed: String = chunks.iter().map(|c| c["response"].as_str().unwrap()).collect();
    assert_eq!(streamed, canned);

    let (body, _) = read_all(
        post(
            &ollama,
            "/api/chat",
            json!({ "model": MODEL, "messages": [{ "role": "user", "content": "hi" }] }),
        )
        .await,
    )
    .await;
    let streamed: String = ndjson(&body)
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(streamed, canned);

    ollama.set_reply(None);
    let whole: Value = post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": "anything", "stream": false }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(whole["response"], default_reply("anything"));
}

#[tokio::test]
async fn format_json_gets_json_text() {
    let ollama = fake().await;
    let prompt = "List three \"quoted\" colours as JSON";
    let whole: Value = post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": prompt, "format": "json", "stream": false }),
    )
    .await
    .json()
    .await
    .unwrap();
    let text = whole["response"].as_str().unwrap();
    assert_eq!(text, json_reply(prompt));
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed["echo"], prompt);

    // Streamed, and with a schema as the format (structured outputs).
    let schema = json!({ "type": "object", "properties": { "echo": { "type": "string" } } });
    let (body, _) = read_all(
        post(
            &ollama,
            "/api/chat",
            json!({ "model": MODEL, "format": schema, "messages": [{ "role": "user", "content": prompt }] }),
        )
        .await,
    )
    .await;
    let lines = ndjson(&body);
    assert!(lines.len() > 2, "streamed in chunks: {body}");
    let streamed: String = lines
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap().to_string())
        .collect();
    let parsed: Value = serde_json::from_str(&streamed).unwrap();
    assert_eq!(parsed["echo"], prompt);
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let ollama = fake().await;
    let delay = Duration::from_millis(300);
    ollama.set_fault(Fault::Latency(delay));
    assert_eq!(ollama.fault(), Fault::Latency(delay));

    let started = Instant::now();
    let response = reqwest::get(format!("{}/api/version", ollama.url())).await.unwrap();
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(response.status(), 200);

    let started = Instant::now();
    let (body, broken) =
        read_all(post(&ollama, "/api/generate", json!({ "model": MODEL, "prompt": "hi" })).await).await;
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert!(!broken);
    assert_eq!(ndjson(&body).last().unwrap()["done"], true, "then answers normally");

    ollama.set_fault(Fault::None);
    let response = reqwest::get(format!("{}/api/tags", ollama.url())).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_server_error_is_a_500_with_an_error_body_everywhere() {
    let ollama = fake().await;
    ollama.set_fault(Fault::ServerError);
    let client = reqwest::Client::new();
    let requests = [
        client.get(format!("{}/api/version", ollama.url())),
        client.get(format!("{}/api/tags", ollama.url())),
        client
            .post(format!("{}/api/generate", ollama.url()))
            .json(&json!({ "model": MODEL, "prompt": "hi" })),
        client
            .post(format!("{}/api/chat", ollama.url()))
            .json(&json!({ "model": MODEL, "messages": [], "stream": false })),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 500);
        let error: Value = response.json().await.unwrap();
        assert!(
            error["error"].as_str().unwrap().contains("injected server error"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_truncated_stream_has_no_done_line_and_drops_the_connection() {
    let ollama = fake().await;
    ollama.set_fault(Fault::TruncatedStream);
    for (path, body, field) in [
        (
            "/api/generate",
            json!({ "model": MODEL, "prompt": "tell me a long story" }),
            "response",
        ),
        (
            "/api/chat",
            json!({ "model": MODEL, "messages": [{ "role": "user", "content": "tell me a long story" }] }),
            "message",
        ),
    ] {
        let response = post(&ollama, path, body).await;
        assert_eq!(response.status(), 200);
        let (body, broken) = read_all(response).await;
        assert!(broken, "the body ends in error: {body:?}");
        let lines = ndjson(&body);
        assert_eq!(lines.len(), 1, "only the first chunk: {body}");
        assert_eq!(lines[0]["done"], false);
        assert!(lines[0].get(field).is_some());
        assert!(!body.contains("\"done\":true"));
    }

    let response = post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": "hi", "stream": false }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let (body, broken) = read_all(response).await;
    assert!(broken, "{body:?}");
    assert!(body.starts_with('{'), "part of the JSON arrives: {body:?}");
    assert!(serde_json::from_str::<Value>(&body).is_err(), "but not all: {body:?}");

    let response = reqwest::get(format!("{}/api/tags", ollama.url())).await.unwrap();
    assert!(response.json::<Value>().await.is_err());
}

#[tokio::test]
async fn an_error_mid_stream_is_an_error_line() {
    let ollama = fake().await;
    ollama.set_fault(Fault::MidStreamError);
    let response = post(&ollama, "/api/generate", json!({ "model": MODEL, "prompt": "a b c d" })).await;
    assert_eq!(response.status(), 200, "the stream had started");
    let (body, broken) = read_all(response).await;
    assert!(!broken, "the stream ends cleanly");
    let lines = ndjson(&body);
    assert_eq!(lines.len(), 2, "{body}");
    assert_eq!(lines[0]["done"], false);
    assert!(lines[0]["response"].is_string());
    let error = lines[1]["error"].as_str().unwrap();
    assert!(error.contains("injected"), "{error}");
    assert!(lines[1].get("done").is_none());

    let response = post(
        &ollama,
        "/api/chat",
        json!({ "model": MODEL, "stream": false, "messages": [{ "role": "user", "content": "hi" }] }),
    )
    .await;
    assert_eq!(response.status(), 500, "not streaming: a plain error");
    let error: Value = response.json().await.unwrap();
    assert!(error["error"].is_string());
}

#[tokio::test]
async fn garbage_is_neither_json_nor_ndjson() {
    let ollama = fake().await;
    ollama.set_fault(Fault::Garbage);
    for (path, body) in [
        ("/api/generate", json!({ "model": MODEL, "prompt": "hi" })),
        ("/api/chat", json!({ "model": MODEL, "messages": [], "stream": false })),
    ] {
        let response = post(&ollama, path, body).await;
        assert_eq!(response.status(), 200);
        let (body, broken) = read_all(response).await;
        assert!(!broken);
        assert!(!body.is_empty());
        assert!(serde_json::from_str::<Value>(&body).is_err(), "{body:?}");
        for line in body.lines() {
            assert!(serde_json::from_str::<Value>(line).is_err(), "{line:?}");
        }
    }
    let response = reqwest::get(format!("{}/api/version", ollama.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.json::<Value>().await.is_err());
}

#[tokio::test]
async fn requests_are_recorded() {
    let ollama = fake().await;
    post(
        &ollama,
        "/api/generate",
        json!({ "model": MODEL, "prompt": "first prompt", "system": "sys", "stream": false }),
    )
    .await;
    let messages = json!([{ "role": "user", "content": "chat prompt" }]);
    post(
        &ollama,
        "/api/chat",
        json!({ "model": MODEL, "messages": messages, "stream": false }),
    )
    .await;
    post(
        &ollama,
        "/api/generate",
        json!({ "model": "nope", "prompt": "second prompt" }),
    )
    .await;
    reqwest::get(format!("{}/api/tags", ollama.url())).await.unwrap();
    reqwest::get(format!("{}/api/pull-nothing", ollama.url()))
        .await
        .unwrap();

    assert_eq!(ollama.calls("/api/generate"), 2);
    assert_eq!(ollama.calls("/api/chat"), 1);
    assert_eq!(ollama.calls("/api/tags"), 1);
    assert_eq!(ollama.calls("/api/version"), 0);
    assert_eq!(ollama.calls("/api/pull-nothing"), 1);

    let requests = ollama.requests();
    assert_eq!(requests.len(), 5);
    let first = &requests[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", "/api/generate"));
    assert_eq!(first.model.as_deref(), Some(MODEL));
    assert_eq!(first.prompt.as_deref(), Some("first prompt"));
    assert_eq!(first.system.as_deref(), Some("sys"));
    assert_eq!(first.body.as_ref().unwrap()["stream"], false);
    assert_eq!(requests[1].messages.as_ref(), Some(&messages));
    assert_eq!(requests[1].prompt, None);
    assert_eq!(requests[2].model.as_deref(), Some("nope"));
    assert_eq!(requests[2].prompt.as_deref(), Some("second prompt"));
    assert_eq!((requests[3].method.as_str(), requests[3].body.as_ref()), ("GET", None));

    ollama.clear_requests();
    assert!(ollama.requests().is_empty());
    assert_eq!(ollama.calls("/api/generate"), 0);
}

#[tokio::test]
async fn unknown_paths_and_methods_are_404s_like_ollamas() {
    let ollama = fake().await;
    let response = reqwest::get(format!("{}/api/nothing", ollama.url())).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "404 page not found");
    let response = reqwest::get(format!("{}/api/generate", ollama.url())).await.unwrap();
    assert_eq!(response.status(), 404);

    let response = reqwest::get(ollama.url()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Ollama is running");
}

#[tokio::test]
async fn it_listens_where_it_is_told() {
    // Any address of this machine, not only 127.0.0.1 (Linux answers on all of 127/8).
    let ollama = FakeOllama::start_on("127.0.0.2:0", vec![FakeModel::new(MODEL)])
        .await
        .unwrap();
    assert_eq!(ollama.addr().ip().to_string(), "127.0.0.2");
    assert!(ollama.url().starts_with("http://127.0.0.2:"), "{}", ollama.url());
    let tags: Value = reqwest::get(format!("{}/api/tags", ollama.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["models"][0]["name"], MODEL);
}
