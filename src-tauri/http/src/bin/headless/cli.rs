//! The command line, as clap reads it: the server (`serve`, or nothing),
//! the key store (`key …`), and the commands that are clients of a running
//! engine's API.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The SutazAI engine without a window: serves the local API, and talks to
/// a running one (the app's or `sutazai-headless serve`).
///
/// With no command it serves, as `serve` does. Every other command but
/// `key` and `completions` is a client of the API at --url.
#[derive(Debug, Parser)]
#[command(name = "sutazai-headless", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the exit codes mean, shown under `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  done
  1  the request failed (the API's code and message are printed) or an answer made no sense
  2  usage: a command or flag that does not parse
  3  no engine answers at the URL
  4  the API refused the key (unauthorized or forbidden)
  5  a task, run, deploy or pull ended failed
  130  interrupted by Ctrl-C while a deploy or pull was under way (a pull is cancelled)

The configuration (data dir, listen address, ...) comes from the config file and
the environment, as for the app: SUTAZAI_DATA_DIR, SUTAZAI_API_LISTEN, ...";

/// Flags every client command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The engine's API (`http://127.0.0.1:10200`); by default where the
    /// config's `api_listen` says the engine listens.
    #[arg(long, env = "SUTAZAI_URL", global = true)]
    pub url: Option<String>,
    /// An API key; by default the CLI's own admin key, kept in
    /// `<data_dir>/cli.key` (made on first use).
    #[arg(long, env = "SUTAZAI_API_KEY", global = true, hide_env_values = true)]
    pub key: Option<String>,
    /// Print one JSON document on stdout (errors still go to stderr).
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the local API until SIGTERM or Ctrl-C (also what no command does).
    Serve,
    /// Make, list and revoke API keys, on the data dir's database directly.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The engine's status: Docker, Ollama, the fleet, tasks.
    Status,
    /// The catalog's agents with their containers' status.
    Agents(AgentFilter),
    /// One agent, whole.
    Agent { id: String },
    /// Start an agent's containers.
    Start { id: String },
    /// Stop an agent's containers.
    Stop { id: String },
    /// Restart an agent's containers.
    Restart { id: String },
    /// Remove an agent's containers.
    Remove { id: String },
    /// Run N containers of an agent.
    Scale { id: String, instances: u32 },
    /// An agent's log lines.
    Logs(Logs),
    /// The fleet's resource use.
    Stats,
    /// The deploy phases with their agents deployed and healthy.
    Phases,
    /// Deploy a phase (1, 2 or 3) or all of them, with progress.
    Deploy(Deploy),
    /// Remove a phase's containers.
    Undeploy { phase: u8 },
    /// Submit, list, show, cancel and re-queue tasks.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Start, list, show and cancel workflow runs.
    #[command(subcommand)]
    Run(RunCommand),
    /// The workflow definitions, with their problems.
    Workflows,
    /// Send, list, show, follow and re-queue messages of the bus.
    #[command(subcommand)]
    Message(MessageCommand),
    /// The bus's topics with their subscribers.
    Topics,
    /// The installed models; pull or remove one.
    Models(Models),
    /// The alerts kept.
    Alerts {
        /// Only those not resolved.
        #[arg(long)]
        open: bool,
    },
    /// Print a shell completion script.
    Completions { shell: Shell },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make an API key and print it (shown only this once).
    Create {
        name: String,
        /// admin, operator, analyst, service or guest.
        #[arg(long)]
        role: String,
    },
    /// List the API keys (never the keys themselves).
    List,
    /// Revoke an API key.
    Revoke { id: String },
}

#[derive(Debug, Args)]
pub struct AgentFilter {
    /// Statuses, comma-separated: healthy, unhealthy, starting, stopped,
    /// flapping, not_deployed, unknown.
    #[arg(long)]
    pub status: Option<String>,
    /// Only agents offering this capability.
    #[arg(long)]
    pub capability: Option<String>,
    /// Only this deploy phase.
    #[arg(long)]
    pub phase: Option<u8>,
}

#[derive(Debug, Args)]
pub struct Logs {
    pub id: String,
    /// How many of the last lines.
    #[arg(short = 'n', long = "tail", default_value_t = 200)]
    pub tail: u32,
    /// Keep printing lines as they come, until Ctrl-C.
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct Deploy {
    /// 1, 2, 3 or all.
    pub phase: PhaseChoice,
    /// Keep the healthy agents when some fail (by default the phase is
    /// rolled back).
    #[arg(long)]
    pub keep: bool,
}

/// A phase to deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseChoice {
    One(u8),
    All,
}

impl std::str::FromStr for PhaseChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "all" => Ok(PhaseChoice::All),
            "1" | "2" | "3" => text.parse().map(PhaseChoice::One).map_err(|err| format!("{err}")),
            _ => Err(format!("expected 1, 2, 3 or all, found `{text}`")),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Submit a task.
    Submit(Submit),
    /// List tasks, newest first.
    List {
        /// Statuses, comma-separated (queued, running, succeeded, failed,
        /// dead, cancelled, or active).
        #[arg(long)]
        status: Option<String>,
    },
    /// One task, whole.
    Show { id: String },
    /// Cancel a queued or running task.
    Cancel { id: String },
    /// Queue a dead, failed or cancelled task again.
    Requeue { id: String },
}

#[derive(Debug, Args)]
pub struct Submit {
    /// The capability wanted (`code_review`).
    #[arg(long)]
    pub capability: String,
    /// An agent to send it to (`AG-017`).
    #[arg(long)]
    pub agent: Option<String>,
    /// The task type (`echo`); the agent's default when absent.
    #[arg(long = "type")]
    pub task_type: Option<String>,
    /// The payload: JSON, or @file to read it from a file.
    #[arg(long)]
    pub payload: Option<String>,
    /// 1 (highest) to 10.
    #[arg(long)]
    pub priority: Option<u8>,
    /// Wait up to this many seconds for the task to end.
    #[arg(long)]
    pub wait: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Send a message to one agent (or `hub`); with --wait, as a request
    /// whose reply is printed.
    Send {
        /// The agent (`AG-001` or its name), or `hub`.
        recipient: String,
        #[command(flatten)]
        body: MessageBody,
        /// Send it as a request and wait up to this many seconds for the reply.
        #[arg(long)]
        wait: Option<f64>,
    },
    /// Send a message to every deployed agent.
    Broadcast(MessageBody),
    /// Send a message to a topic's subscribers.
    Publish {
        topic: String,
        #[command(flatten)]
        body: MessageBody,
    },
    /// List messages, newest first, with how their deliveries stand.
    List {
        /// Sent by or to this agent (or `hub`).
        #[arg(long)]
        agent: Option<String>,
        /// Only this message type.
        #[arg(long = "type")]
        message_type: Option<String>,
        /// With a delivery in this state: pending, delivered, replied,
        /// dead (the dead letters) or expired.
        #[arg(long)]
        status: Option<String>,
    },
    /// One message with each delivery and its replies.
    Show { id: String },
    /// Put a message's dead and expired deliveries back in the queue.
    Requeue { id: String },
    /// Print every change of every message as it happens, until Ctrl-C.
    Follow,
}

#[derive(Debug, Args)]
pub struct MessageBody {
    /// task_request, task_response, status_update, health_check,
    /// coordination_message, system_command or system_announcement.
    #[arg(long = "type")]
    pub message_type: String,
    /// The payload: JSON, or @file to read it from a file.
    #[arg(long)]
    pub payload: Option<String>,
    /// low, normal, high or critical.
    #[arg(long)]
    pub priority: Option<String>,
    /// Give up deliveries not made within this many seconds.
    #[arg(long)]
    pub expires: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Start a run of a workflow.
    Start(StartRun),
    /// List runs, newest first.
    List {
        /// Only runs of this workflow.
        #[arg(long)]
        workflow: Option<String>,
        /// Statuses, comma-separated (running, waiting, succeeded, failed,
        /// or active).
        #[arg(long)]
        status: Option<String>,
    },
    /// One run with its steps.
    Show { id: String },
    /// Cancel a run.
    Cancel { id: String },
}

#[derive(Debug, Args)]
pub struct StartRun {
    /// The workflow's id.
    pub workflow: String,
    /// An input, `name=value` (value read as JSON when it parses, else as
    /// text); repeatable.
    #[arg(long = "input", value_name = "NAME=VALUE", conflicts_with = "inputs")]
    pub input: Vec<String>,
    /// Every input as one JSON object.
    #[arg(long)]
    pub inputs: Option<String>,
    /// Wait up to this many seconds for the run to end.
    #[arg(long)]
    pub wait: Option<f64>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Models {
    #[command(subcommand)]
    pub command: Option<ModelCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Pull a model into Ollama, with progress; Ctrl-C cancels it.
    Pull { name: String },
    /// Remove a model from Ollama.
    Rm { name: String },
}

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}
