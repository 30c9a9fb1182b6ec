//! Ollama's streamed answers (NDJSON: one JSON object a line) read line by
//! line, with a limit on a line's length and on the wait between lines.
//!
//! A line `{"error": …}` is Ollama reporting a failure mid-stream; it ends
//! the stream with [`OllamaError::Api`]. The stream also ends after the line
//! the caller calls the last one (`"done": true`, `"status": "success"`);
//! a body that ends before it is [`OllamaError::MalformedStream`].

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
use tokio_util::io::StreamReader;

use super::error::OllamaError;

/// The default longest line: a streamed line holds a token or a progress
/// report, a non-streamed one a whole answer; a mebibyte is ample for both.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// How a stream of lines is read.
#[derive(Debug, Clone)]
pub struct LineLimits {
    /// The longest line accepted, in bytes, without its newline.
    pub max_line_bytes: usize,
    /// The longest wait for the next line.
    pub idle_timeout: Duration,
    /// Named in errors: where the stream comes from.
    pub url: String,
}

/// Reads `bytes` as NDJSON lines of `T`, until (and including) the first
/// line for which `is_last` holds. Empty lines are skipped. After the first
/// error, the stream ends.
pub fn ndjson<S, T>(bytes: S, limits: LineLimits, is_last: fn(&T) -> bool) -> BoxStream<'static, Result<T, OllamaError>>
where
    S: Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
    T: DeserializeOwned + Send + 'static,
{
    let lines = FramedRead::new(
        StreamReader::new(bytes),
        LinesCodec::new_with_max_length(limits.max_line_bytes),
    );
    let state = Reader {
        lines,
        limits,
        line: 0,
        over: false,
        is_last,
    };
    futures::stream::unfold(state, |mut reader| async move {
        if reader.over {
            return None;
        }
        let item = reader.next_item().await;
        reader.over = match &item {
            Ok(value) => (reader.is_last)(value),
            Err(_) => true,
        };
        Some((item, reader))
    })
    .boxed()
}

/// The state of one [`ndjson`] stream.
struct Reader<S, T> {
    /// The body, cut into lines.
    lines: FramedRead<StreamReader<S, Bytes>, LinesCodec>,
    limits: LineLimits,
    /// The number of the last line read, from 1.
    line: usize,
    /// The last line or an error was yielded: nothing more comes.
    over: bool,
    is_last: fn(&T) -> bool,
}

impl<S, T> Reader<S, T>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
    T: DeserializeOwned,
{
    async fn next_item(&mut self) -> Result<T, OllamaError> {
        loop {
            let next = tokio::time::timeout(self.limits.idle_timeout, self.lines.next())
                .await
                .map_err(|_| OllamaError::Timeout {
                    url: self.limits.url.clone(),
                    after: self.limits.idle_timeout,
                })?;
            self.line += 1;
            let line = self.line;
            let text = match next {
                None => {
                    return Err(OllamaError::MalformedStream {
                        line,
                        cause: "the stream ended before its last line".into(),
                    })
                }
                Some(Ok(text)) => text,
                Some(Err(LinesCodecError::MaxLineLengthExceeded)) => {
                    return Err(OllamaError::MalformedStream {
                        line,
                        cause: format!("the line is longer than {} bytes", self.limits.max_line_bytes),
                    })
                }
                Some(Err(LinesCodecError::Io(err))) if err.kind() == io::ErrorKind::InvalidData => {
                    return Err(OllamaError::MalformedStream {
                        line,
                        cause: format!("the line is not UTF-8: {err}"),
                    })
                }
                Some(Err(LinesCodecError::Io(err))) => {
                    return Err(OllamaError::Disconnected {
                        url: self.limits.url.clone(),
                        cause: err.to_string(),
                    })
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            return parse_line(line, &text);
        }
    }
}

/// One line: Ollama's `{"error": …}`, or a `T`.
fn parse_line<T: DeserializeOwned>(line: usize, text: &str) -> Result<T, OllamaError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| OllamaError::MalformedStream {
        line,
        cause: format!("the line is not JSON: {err}"),
    })?;
    if let Some(message) = value.get("error") {
        let message = message.as_str().map_or_else(|| message.to_string(), str::to_owned);
        return Err(OllamaError::Api { status: 200, message });
    }
    serde_json::from_value(value).map_err(|err| OllamaError::MalformedStream {
        line,
        cause: format!("the line does not have the expected fields: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        n: u32,
        #[serde(default)]
        done: bool,
    }

    fn read(pieces: &[&str], max: usize) -> Vec<Result<Item, OllamaError>> {
        let pieces: Vec<io::Result<Bytes>> = pieces.iter().map(|p| Ok(Bytes::from(p.to_string()))).collect();
        let limits = LineLimits {
            max_line_bytes: max,
            idle_timeout: Duration::from_secs(5),
            url: "http://test".into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(ndjson(futures::stream::iter(pieces), limits, |i: &Item| i.done).collect::<Vec<_>>())
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let items = read(
            &[
                "{\"n\"",
                ":1}\n\n{\"n\":2",
                "}\n{\"n\":3,\"do",
                "ne\":true}\n{\"n\":4}\n",
            ],
            64,
        );
        let items: Vec<Item> = items.into_iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            items.iter().map(|i| i.n).collect::<Vec<_>>(),
            [1, 2, 3],
            "stops at the last line"
        );
    }

    #[test]
    fn errors_name_the_line_and_end_the_stream() {
        let items = read(&["{\"n\":1}\n", "not json\n", "{\"n\":3,\"done\":true}\n"], 64);
        assert_eq!(items.len(), 2);
        let Err(OllamaError::MalformedStream { line: 2, cause }) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert!(cause.contains("not JSON"), "{cause}");

        let items = read(&["{\"n\":1}\n", "{\"n\":", "12345678}\n"], 8);
        let Err(OllamaError::MalformedStream { line: 2, cause }) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert!(cause.contains("longer than 8 bytes"), "{cause}");

        let items = read(&["{\"n\":1}\n{\"error\":\"out of memory\"}\n"], 64);
        let Err(OllamaError::Api { message, .. }) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert_eq!(message, "out of memory");

        let items = read(&["{\"n\":1}\n"], 64);
        let Err(OllamaError::MalformedStream { line: 2, cause }) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert!(cause.contains("ended before"), "{cause}");
    }

    #[test]
    fn a_broken_body_is_a_disconnect() {
        let pieces = vec![
            Ok(Bytes::from_static(b"{\"n\":1}\n")),
            Err(io::Error::other("connection reset")),
        ];
        let limits = LineLimits {
            max_line_bytes: 64,
            idle_timeout: Duration::from_secs(5),
            url: "http://test".into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(ndjson(futures::stream::iter(pieces), limits, |i: &Item| i.done).try_collect::<Vec<_>>())
            .unwrap_err();
        assert!(matches!(err, OllamaError::Disconnected { .. }), "{err:?}");
    }
}
