use super::*;

fn inputs(dir: &Path, env: &[(&str, &str)]) -> ConfigInputs {
    ConfigInputs {
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        default_data_dir: dir.join("data"),
        default_config_file: Some(dir.join("config.toml")),
        default_agent_runtime: dir.join("sutazai-agent"),
    }
}

fn value<'a>(report: &'a ConfigReport, key: &str) -> &'a ConfigValue {
    report.values.iter().find(|v| v.key == key).expect("key is reported")
}

#[test]
fn defaults_when_nothing_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = Config::load(&inputs(dir.path(), &[]));
    assert_eq!(config.data_dir, dir.path().join("data"));
    assert_eq!(config.catalog_dir, dir.path().join("data/catalog"));
    assert_eq!(
        config.docker_endpoint,
        DockerEndpoint::Unix("/var/run/docker.sock".into())
    );
    assert_eq!(config.ollama_url.as_str(), "http://127.0.0.1:11434/");
    assert_eq!(config.probe_timeout, Duration::from_secs(3));
    assert_eq!(config.llm_cache_ttl, Duration::from_secs(3600));
    assert_eq!((config.llm_model_concurrency, config.llm_queue), (2, 16));
    assert_eq!(config.llm_timeout, Duration::from_secs(300));
    assert_eq!(config.api_rate_per_minute, 100);
    assert_eq!(config.agent_rate_per_minute, 1200);
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    assert!(!report.file_found);
    assert!(report.values.iter().all(|v| v.source == ConfigSource::Default));
}

#[test]
fn file_overrides_defaults_and_env_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "ollama_url = \"http://10.1.2.3:11434\"\nprobe_timeout_ms = 500\nlog_level = \"debug\"\n",
    )
    .unwrap();
    let (config, report) = Config::load(&inputs(
        dir.path(),
        &[("SUTAZAI_LOG", "warn"), ("DOCKER_HOST", "tcp://127.0.0.1:2375")],
    ));
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    assert_eq!(config.ollama_url.as_str(), "http://10.1.2.3:11434/");
    assert_eq!(config.probe_timeout, Duration::from_millis(500));
    assert_eq!(config.log_level, "warn");
    assert_eq!(config.docker_endpoint, DockerEndpoint::Http("127.0.0.1:2375".into()));
    let file = dir.path().join("config.toml").display().to_string();
    assert_eq!(value(&report, "ollama_url").source, ConfigSource::File { path: file });
    assert_eq!(
        value(&report, "log_level").source,
        ConfigSource::Env {
            var: "SUTAZAI_LOG".into()
        }
    );
    assert_eq!(
        value(&report, "docker_endpoint").source,
        ConfigSource::Env {
            var: "DOCKER_HOST".into()
        }
    );
}

#[test]
fn the_catalog_follows_the_data_dir_unless_set() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = Config::load(&inputs(dir.path(), &[("SUTAZAI_DATA_DIR", "/srv/sutazai")]));
    assert_eq!(config.catalog_dir, PathBuf::from("/srv/sutazai/catalog"));
    let (config, _) = Config::load(&inputs(dir.path(), &[("SUTAZAI_CATALOG_DIR", "/opt/agents")]));
    assert_eq!(config.catalog_dir, PathBuf::from("/opt/agents"));
}

#[test]
fn sutazai_docker_host_wins_over_docker_host() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DOCKER_HOST", "tcp://127.0.0.1:1"),
        ("SUTAZAI_DOCKER_HOST", "unix:///tmp/d.sock"),
    ];
    let (config, _) = Config::load(&inputs(dir.path(), &env));
    assert_eq!(config.docker_endpoint, DockerEndpoint::Unix("/tmp/d.sock".into()));
}

/// Each bad file names the file, the key and the problem, and the key
/// keeps its default.
#[test]
fn bad_files_are_reported_and_defaults_kept() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("this is = = not toml", None, "not valid TOML"),
        (
            "colour = \"blue\"",
            Some("colour"),
            "unknown key; known keys are data_dir",
        ),
        (
            "probe_timeout_ms = \"fast\"",
            Some("probe_timeout_ms"),
            "expected an integer, found string",
        ),
        (
            "probe_timeout_ms = 0",
            Some("probe_timeout_ms"),
            "between 1 and 600000, found 0",
        ),
        (
            "ollama_url = \"ftp://x\"",
            Some("ollama_url"),
            "expected an http:// or https:// URL",
        ),
        (
            "ollama_url = 11434",
            Some("ollama_url"),
            "expected a string, found integer",
        ),
        (
            "docker_endpoint = \"ssh://me@host\"",
            Some("docker_endpoint"),
            "expected unix:///path",
        ),
        (
            "data_dir = \"relative/dir\"",
            Some("data_dir"),
            "expected an absolute path",
        ),
        ("log_level = \"[[[\"", Some("log_level"), "expected a tracing filter"),
        (
            "api_rate_per_minute = 0",
            Some("api_rate_per_minute"),
            "between 1 and 1000000, found 0",
        ),
        (
            "api_rate_per_minute = 1000001",
            Some("api_rate_per_minute"),
            "between 1 and 1000000, found 1000001",
        ),
    ];
    for (text, key, problem) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let (config, report) = Config::load(&inputs(dir.path(), &[]));
        assert_eq!(report.issues.len(), 1, "{text}: {:?}", report.issues);
        let issue = &report.issues[0];
        assert_eq!(issue.origin, path.display().to_string(), "{text}");
        assert_eq!(issue.key.as_deref(), *key, "{text}");
        assert!(issue.problem.contains(problem), "{text}: {}", issue.problem);
        assert_eq!(config.probe_timeout, Duration::from_secs(3), "{text}");
        assert!(
            report.values.iter().all(|v| v.source == ConfigSource::Default),
            "{text}"
        );
    }
}

#[test]
fn the_api_rate_comes_from_the_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "api_rate_per_minute = 600\n").unwrap();
    let (config, report) = Config::load(&inputs(dir.path(), &[]));
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    assert_eq!(config.api_rate_per_minute, 600);
    let (config, _) = Config::load(&inputs(dir.path(), &[("SUTAZAI_API_RATE_PER_MINUTE", "100000")]));
    assert_eq!(config.api_rate_per_minute, 100_000);
}

#[test]
fn one_bad_key_does_not_discard_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "probe_timeout_ms = -5\nstatus_interval_ms = 750\n",
    )
    .unwrap();
    let (config, report) = Config::load(&inputs(dir.path(), &[]));
    assert_eq!(report.issues.len(), 1);
    assert_eq!(config.status_interval, Duration::from_millis(750));
    assert_eq!(config.probe_timeout, Duration::from_secs(3));
}

#[test]
fn unreadable_or_missing_explicit_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let (_, report) = Config::load(&inputs(dir.path(), &[(CONFIG_FILE_ENV, missing.to_str().unwrap())]));
    assert_eq!(report.issues.len(), 1);
    assert!(
        report.issues[0].problem.starts_with("cannot read the file"),
        "{:?}",
        report.issues
    );

    // A directory where a file is expected cannot be read either.
    let (_, report) = Config::load(&inputs(dir.path(), &[(CONFIG_FILE_ENV, dir.path().to_str().unwrap())]));
    assert!(
        report.issues[0].problem.starts_with("cannot read the file"),
        "{:?}",
        report.issues
    );
}

#[test]
fn bad_environment_values_are_reported_and_lower_layers_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = Config::load(&inputs(dir.path(), &[("SUTAZAI_OLLAMA_URL", "not a url")]));
    assert_eq!(config.ollama_url.as_str(), "http://127.0.0.1:11434/");
    assert_eq!(report.issues[0].origin, "environment variable SUTAZAI_OLLAMA_URL");
    assert_eq!(report.issues[0].key.as_deref(), Some("ollama_url"));
}

#[test]
fn a_remote_api_address_needs_api_allow_remote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (vec![("SUTAZAI_API_LISTEN", "127.0.0.5:9000")], "127.0.0.5:9000", None),
        (
            vec![("SUTAZAI_API_LISTEN", "0.0.0.0:10200")],
            "127.0.0.1:10200",
            Some("0.0.0.0:10200 is not a loopback address"),
        ),
        (
            vec![
                ("SUTAZAI_API_LISTEN", "0.0.0.0:10200"),
                ("SUTAZAI_API_ALLOW_REMOTE", "true"),
            ],
            "0.0.0.0:10200",
            Some("the local API listens on 0.0.0.0:10200"),
        ),
        (
            vec![
                ("SUTAZAI_API_LISTEN", "[::]:10200"),
                ("SUTAZAI_API_ALLOW_REMOTE", "yes"),
            ],
            "127.0.0.1:10200",
            Some("[::]:10200 is not a loopback address"),
        ),
    ];
    for (env, listen, said) in cases {
        let (config, report) = Config::load(&inputs(dir.path(), &env));
        assert_eq!(config.api_listen.to_string(), listen, "{env:?}");
        assert_eq!(value(&report, "api_listen").value, listen);
        let about = |list: &[ConfigIssue]| list.iter().find(|i| i.key.as_deref() == Some("api_listen")).cloned();
        let found = about(&report.issues).or(about(&report.warnings));
        match said {
            None => assert!(found.is_none(), "{env:?}: {found:?}"),
            Some(text) => {
                let found = found.unwrap_or_else(|| panic!("{env:?}: nothing said"));
                assert!(found.problem.starts_with(text), "{}", found.problem);
                assert_eq!(found.origin, "environment variable SUTAZAI_API_LISTEN");
                // Kept as set: a warning; refused: a problem.
                assert_eq!(
                    about(&report.warnings).is_some(),
                    listen != "127.0.0.1:10200",
                    "{env:?}"
                );
            }
        }
    }
}

#[test]
fn docker_endpoints() {
    assert_eq!(
        parse_docker_endpoint("/run/docker.sock"),
        Ok(DockerEndpoint::Unix("/run/docker.sock".into()))
    );
    assert_eq!(
        parse_docker_endpoint("http://localhost:2375/"),
        Ok(DockerEndpoint::Http("localhost:2375".into()))
    );
    assert!(parse_docker_endpoint("tcp://nohost").is_err());
    assert!(parse_docker_endpoint("unix://relative").is_err());
    assert_eq!(DockerEndpoint::Unix("/a.sock".into()).to_string(), "unix:///a.sock");
}

/// Every key's default passes its own parser, so `Config::unset` never
/// shows through, and no two rows share a name or a variable.
#[test]
fn every_row_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(dir.path(), &[]);
    let mut config = Config::unset(&inputs);
    let mut names = std::collections::HashSet::new();
    let mut vars = std::collections::HashSet::new();
    for key in keys::KEYS {
        let default = key.default_text(&config, &inputs);
        assert_eq!((key.set)(&mut config, &default), Ok(()), "{}", key.name);
        assert!(names.insert(key.name), "{} twice", key.name);
        for var in key.env {
            assert!(vars.insert(*var), "{var} twice");
        }
    }
}

/// The README's configuration table is the rows' (regenerate with
/// `UPDATE_README=1 cargo test -p sutazai-engine readme`).
#[test]
fn the_readme_table_is_generated_from_the_rows() {
    const BEGIN: &str = "<!-- config keys: generated from src-tauri/engine/src/config/keys.rs -->\n";
    const END: &str = "<!-- end of config keys -->";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("the README marks the config table") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("the README ends the config table");
    let want = readme_table();
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &readme[..start], &readme[end..])).unwrap();
    } else {
        assert_eq!(
            readme[start..end],
            want,
            "the README's config table is stale; regenerate with `UPDATE_README=1 cargo test -p sutazai-engine readme`"
        );
    }
}
