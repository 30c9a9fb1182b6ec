//! The engine's Ollama client against the fake Ollama: every endpoint, and
//! each way a real Ollama can fail (down, silent, stalled, broken lines).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use futures::TryStreamExt;
use reqwest::Url;
use sutazai_engine::error::Coded;
use sutazai_engine::error::{Code, ErrorBody};
use sutazai_engine::llm::client::{collect_answer, ClientConfig, OllamaClient, OllamaError};
use sutazai_engine::llm::model::{AnswerEvent, ChatMessage, ChatRequest, GenerateRequest, PullProgress, Role};
use sutazai_tests::fake_ollama::{default_reply, FakeModel, FakeOllama, Fault, PullPlan, VERSION};

const MODEL: &str = "llama3.2:1b";

async fn fake() -> FakeOllama {
    FakeOllama::start(vec![FakeModel::new(MODEL), FakeModel::new("qwen2.5-coder:1.5b")])
        .await
        .expect("the fake starts")
}

/// A client with short limits, so that the timeout tests are quick.
fn client_for(url: &str) -> OllamaClient {
    let mut config = ClientConfig::new(Url::parse(url).unwrap());
    config.request_timeout = Duration::from_millis(500);
    config.idle_timeout = Duration::from_millis(500);
    config.max_line_bytes = 1024;
    OllamaClient::new(config).unwrap()
}

fn prompt(model: &str, text: &str) -> GenerateRequest {
    GenerateRequest {
        model: model.into(),
        prompt: text.into(),
        ..GenerateRequest::default()
    }
}

#[tokio::test]
async fn version_and_installed_models() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    assert_eq!(client.version().await.unwrap(), VERSION);

    let models = client.list_models().await.unwrap();
    assert_eq!(
        models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        [MODEL, "qwen2.5-coder:1.5b"]
    );
    let first = &models[0];
    assert_eq!(first.size, 1_000_000_000);
    assert_eq!(first.digest.len(), 64, "{}", first.digest);
    assert_eq!(first.family, "llama");
    assert_eq!(first.parameter_size, "1B");
    assert_eq!(first.quantization_level, "Q4_K_M");
    assert!(first.modified_at.starts_with("2026-11-01T"), "{}", first.modified_at);
}

#[tokio::test]
async fn a_base_url_with_a_path_keeps_it() {
    // The fake serves at the root, so a path prefix must show up in the
    // request path: a 404 from the fake proves the prefix was kept.
    let ollama = fake().await;
    let client = client_for(&format!("{}/prefix", ollama.url()));
    let err = client.version().await.unwrap_err();
    assert!(matches!(err, OllamaError::Api { status: 404, .. }), "{err:?}");
    assert_eq!(ollama.requests()[0].path, "/prefix/api/version");
}

#[tokio::test]
async fn generate_streams_the_answer_and_its_statistics() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    let events: Vec<AnswerEvent> = client
        .generate(&prompt(MODEL, "three small words"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let expected = default_reply("three small words");
    assert!(events.len() > 2, "one event a word, then done: {events:?}");
    let AnswerEvent::Done(done) = events.last().unwrap() else {
        panic!("the last event is done: {events:?}");
    };
    assert_eq!(done.done_reason, "stop");
    assert_eq!(done.prompt_eval_count, 3);
    assert_eq!(done.eval_count, expected.split_whitespace().count() as u64);
    assert!(
        done.total_duration_ns > done.eval_duration_ns && done.eval_duration_ns > 0,
        "{done:?}"
    );
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            AnswerEvent::Delta { text } => Some(text.as_str()),
            AnswerEvent::Done(_) => None,
        })
        .collect();
    assert_eq!(text, expected);

    let sent = ollama.requests()[0].body.clone().unwrap();
    assert_eq!(sent["model"], MODEL);
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn chat_streams_the_next_message() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    let request = ChatRequest {
        model: MODEL.into(),
        messages: vec![
            ChatMessage {
                role: Role::System,
                content: "be brief".into(),
            },
            ChatMessage {
                role: Role::User,
                content: "hello there".into(),
            },
        ],
        ..ChatRequest::default()
    };
    let answer = collect_answer(client.chat(&request).await.unwrap()).await.unwrap();
    assert_eq!(answer.text, default_reply("hello there"));
    assert_eq!(answer.completion.prompt_eval_count, 4);
    let sent = ollama.requests()[0].body.clone().unwrap();
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["messages"][1]["content"], "hello there");
}

#[tokio::test]
async fn lines_split_across_chunks_are_read_whole() {
    let ollama = fake().await;
    ollama.set_split(Some(3));
    // The fake really sends the pieces apart: no chunk is over 3 bytes.
    let raw = reqwest::Client::new()
        .post(format!("{}/api/generate", ollama.url()))
        .json(&serde_json::json!({ "model": MODEL, "prompt": "split me up" }))
        .send()
        .await
        .unwrap();
    let chunks: Vec<_> = raw.bytes_stream().try_collect().await.unwrap();
    assert!(chunks.len() > 10 && chunks.iter().all(|c| c.len() <= 3), "{chunks:?}");

    let client = client_for(&ollama.url());
    let answer = collect_answer(client.generate(&prompt(MODEL, "split me up")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(answer.text, default_reply("split me up"));
    let progress: Vec<PullProgress> = client.pull("tiny:1m").await.unwrap().try_collect().await.unwrap();
    assert!(progress.last().unwrap().is_success(), "{progress:?}");
}

#[tokio::test]
async fn models_in_memory_are_those_used() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    assert_eq!(client.loaded_models().await.unwrap(), []);
    collect_answer(client.generate(&prompt(MODEL, "load it")).await.unwrap())
        .await
        .unwrap();
    let loaded = client.loaded_models().await.unwrap();
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert_eq!(loaded[0].name, MODEL);
    assert_eq!(loaded[0].size_vram, loaded[0].size);
    assert_eq!(loaded[0].context_length, Some(4096));
    assert!(
        loaded[0].expires_at.ends_with('Z') && loaded[0].expires_at.len() > 20,
        "{:?}",
        loaded[0]
    );
}

#[tokio::test]
async fn show_tells_the_details() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    let details = client.show(MODEL).await.unwrap();
    assert_eq!(details.name, MODEL);
    assert_eq!(details.format, "gguf");
    assert_eq!(details.family, "llama");
    assert_eq!(details.context_length, Some(131_072));
    assert_eq!(details.capabilities, ["completion"]);
    assert!(details.parameters.contains("num_ctx"), "{}", details.parameters);

    let err = client.show("missing:7b").await.unwrap_err();
    assert!(
        matches!(&err, OllamaError::ModelNotFound(name) if name == "missing:7b"),
        "{err:?}"
    );
}

#[tokio::test]
async fn pull_reports_growing_progress_then_installs() {
    let ollama = fake().await;
    ollama.set_pull(PullPlan {
        steps: 3,
        ..PullPlan::default()
    });
    let client = client_for(&ollama.url());
    let progress: Vec<PullProgress> = client.pull("phi3:mini").await.unwrap().try_collect().await.unwrap();
    let statuses: Vec<&str> = progress.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(statuses[0], "pulling manifest");
    assert_eq!(
        statuses[statuses.len() - 3..],
        ["verifying sha256 digest", "writing manifest", "success"]
    );
    let layers: Vec<&PullProgress> = progress.iter().filter(|p| p.digest.is_some()).collect();
    assert_eq!(layers.len(), 2 * 3, "two layers, three steps each: {progress:?}");
    for layer in layers.chunks(3) {
        let digest = layer[0].digest.as_deref().unwrap();
        assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64, "{digest}");
        assert_eq!(layer[0].status, format!("pulling {}", &digest[7..19]));
        let completed: Vec<u64> = layer.iter().map(|p| p.completed.unwrap()).collect();
        assert!(completed.windows(2).all(|w| w[0] < w[1]), "{completed:?}");
        assert_eq!(completed.last(), layer[0].total.as_ref(), "ends at the total");
    }
    let names: Vec<String> = client
        .list_models()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(names.contains(&"phi3:mini".to_string()), "{names:?}");
}

#[tokio::test]
async fn a_pull_that_fails_midway_is_an_api_error_and_installs_nothing() {
    let ollama = fake().await;
    ollama.set_pull(PullPlan {
        fail_after: Some(3),
        ..PullPlan::default()
    });
    let client = client_for(&ollama.url());
    let mut stream = client.pull("phi3:mini").await.unwrap();
    let mut seen = 0;
    let err = loop {
        match stream.try_next().await {
            Ok(Some(_)) => seen += 1,
            Ok(None) => panic!("the pull cannot succeed"),
            Err(err) => break err,
        }
    };
    assert_eq!(seen, 3);
    let OllamaError::Api { status, message } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 200, "an error line in a 200 stream");
    assert!(message.contains("pull failure"), "{message}");
    assert!(stream.try_next().await.unwrap().is_none(), "nothing after the error");
    assert!(!ollama.model_names().contains(&"phi3:mini".to_string()));
}

#[tokio::test]
async fn delete_removes_and_then_finds_nothing() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    client.delete(MODEL).await.unwrap();
    assert_eq!(ollama.model_names(), ["qwen2.5-coder:1.5b"]);
    let request = &ollama.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.model.as_deref()),
        ("DELETE", Some(MODEL))
    );

    let err = client.delete(MODEL).await.unwrap_err();
    assert!(
        matches!(&err, OllamaError::ModelNotFound(name) if name == MODEL),
        "{err:?}"
    );
    assert_eq!(ErrorBody::from(&err).code, Code::NotFound);
}

#[tokio::test]
async fn an_unknown_model_is_not_found_before_the_stream() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    let Err(err) = client.generate(&prompt("nope:1b", "hi")).await else {
        panic!("the model is not installed");
    };
    assert!(
        matches!(&err, OllamaError::ModelNotFound(name) if name == "nope:1b"),
        "{err:?}"
    );
}

/// Runs a generate to its end and returns the deltas seen and the error.
async fn failing_generate(ollama: &FakeOllama, fault: Fault) -> (Vec<String>, OllamaError) {
    ollama.set_fault(fault);
    let client = client_for(&ollama.url());
    let mut stream = client.generate(&prompt(MODEL, "one two three")).await.unwrap();
    let mut deltas = Vec::new();
    loop {
        match stream.try_next().await {
            Ok(Some(AnswerEvent::Delta { text })) => deltas.push(text),
            Ok(Some(AnswerEvent::Done(done))) => panic!("{fault:?} cannot finish: {done:?}"),
            Ok(None) => panic!("{fault:?} must end in an error"),
            Err(err) => {
                assert!(stream.try_next().await.unwrap().is_none(), "nothing after the error");
                return (deltas, err);
            }
        }
    }
}

#[tokio::test]
async fn a_line_over_the_limit_is_malformed() {
    let ollama = fake().await;
    let (deltas, err) = failing_generate(&ollama, Fault::LongLine(4096)).await;
    assert_eq!(deltas.len(), 1);
    let OllamaError::MalformedStream { line, cause } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*line, 2);
    assert!(cause.contains("longer than 1024 bytes"), "{cause}");
    assert_eq!(ErrorBody::from(&err).code, Code::OllamaError);
}

#[tokio::test]
async fn a_garbage_line_is_malformed() {
    let ollama = fake().await;
    let (deltas, err) = failing_generate(&ollama, Fault::GarbageLine).await;
    assert_eq!(deltas.len(), 1);
    assert!(
        matches!(&err, OllamaError::MalformedStream { line: 2, cause } if cause.contains("not JSON")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_line_mid_stream_is_an_api_error() {
    let ollama = fake().await;
    let (deltas, err) = failing_generate(&ollama, Fault::MidStreamError).await;
    assert_eq!(deltas, ["fake "]);
    assert!(
        matches!(&err, OllamaError::Api { status: 200, message } if message.contains("mid-stream")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_stream_that_stalls_times_out() {
    let ollama = fake().await;
    let (deltas, err) = failing_generate(&ollama, Fault::Stall).await;
    assert_eq!(deltas.len(), 1);
    assert!(
        matches!(&err, OllamaError::Timeout { after, .. } if *after == Duration::from_millis(500)),
        "{err:?}"
    );
    assert_eq!(ErrorBody::from(&err).code, Code::OllamaTimeout);
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_is_a_disconnect() {
    let ollama = fake().await;
    let (_, err) = failing_generate(&ollama, Fault::TruncatedStream).await;
    assert!(matches!(err, OllamaError::Disconnected { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let ollama = fake().await;
    ollama.set_fault(Fault::Silent);
    let client = client_for(&ollama.url());
    let err = client.version().await.unwrap_err();
    assert!(matches!(err, OllamaError::Timeout { .. }), "{err:?}");
    let Err(err) = client.generate(&prompt(MODEL, "hello")).await else {
        panic!("a silent server cannot start a stream");
    };
    assert!(matches!(err, OllamaError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn an_error_status_carries_ollamas_message() {
    let ollama = fake().await;
    ollama.set_fault(Fault::ServerError);
    let client = client_for(&ollama.url());
    let err = client.list_models().await.unwrap_err();
    assert!(
        matches!(&err, OllamaError::Api { status: 500, message } if message == "fake ollama: injected server error"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    // Bind then drop to get a port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client_for(&format!("http://127.0.0.1:{port}"));
    let err = client.version().await.unwrap_err();
    assert!(
        matches!(&err, OllamaError::Unreachable { url, .. } if url.contains(&port.to_string())),
        "{err:?}"
    );
    assert_eq!(ErrorBody::from(&err).code, Code::OllamaUnreachable);
    let Err(err) = client.pull(MODEL).await else {
        panic!("nothing listens");
    };
    assert!(matches!(err, OllamaError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_stopped_ollama_is_unreachable() {
    let mut ollama = fake().await;
    let client = client_for(&ollama.url());
    client.version().await.unwrap();
    ollama.stop().await;
    // A fresh client: the first one may hold a pooled connection whose
    // task outlives the listener.
    let err = client_for(&ollama.url()).version().await.unwrap_err();
    assert!(matches!(err, OllamaError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_model_names_are_refused_before_any_request() {
    let ollama = fake().await;
    let client = client_for(&ollama.url());
    for name in ["", "llama 3", "../../etc/passwd", "/abs", "a\\b", "x;y", "nul\0"] {
        let err = client.show(name).await.unwrap_err();
        assert!(matches!(err, OllamaError::InvalidModelName(_)), "{name:?}: {err:?}");
        assert!(matches!(
            client.delete(name).await,
            Err(OllamaError::InvalidModelName(_))
        ));
        assert!(matches!(client.pull(name).await, Err(OllamaError::InvalidModelName(_))));
        assert!(matches!(
            client.generate(&prompt(name, "hi")).await,
            Err(OllamaError::InvalidModelName(_))
        ));
        assert_eq!(ErrorBody::from(&err).code, Code::InvalidRequest);
    }
    let long = "m".repeat(201);
    assert!(matches!(
        client.show(&long).await,
        Err(OllamaError::InvalidModelName(_))
    ));
    assert_eq!(ollama.requests(), [], "nothing reached Ollama");
}

/// An "Ollama" that answers every request with `status` and a chunked body
/// of 100 MiB, made as it is sent; returns its URL and the bytes it got out.
async fn endless_ollama(status: u16) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&sent);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = std::sync::Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
                for _ in 0..100 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    counter.fetch_add(1 << 20, Ordering::Relaxed);
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn an_endless_answer_or_error_body_is_cut_at_its_cap() {
    // (status, what the error says)
    let cases = [
        (200, "/api/tags is larger than 16 MiB (cut there)"),
        (500, "Ollama answered 500: the answer is larger than 64 KiB (cut there)"),
    ];
    for (status, says) in cases {
        let (url, sent) = endless_ollama(status).await;
        let client = OllamaClient::new(ClientConfig::new(Url::parse(&url).unwrap())).unwrap();
        let err = client.list_models().await.unwrap_err();
        assert!(err.to_string().contains(says), "{status}: {err}");
        assert_eq!(err.code(), Code::OllamaError, "{status}: {err}");
        // Socket buffers take some beyond the cap, never the whole.
        let out = sent.load(std::sync::atomic::Ordering::Relaxed);
        assert!(out < 64 << 20, "{status}: the client read on ({} MiB)", out >> 20);
    }
}
