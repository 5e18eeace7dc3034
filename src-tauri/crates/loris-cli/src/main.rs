//! `loris`: the headless front door onto the Loris Studio service layer.

mod commands;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "loris",
    version,
    about = "Loris Studio: local LLMs from the command line"
)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,

    /// Also print logs to stderr (they always go to the log file in the data dir).
    #[arg(long, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Version, data directory, database path and a hardware summary.
    Info,
    /// Long-running work: training, recipe runs, exports.
    #[command(subcommand)]
    Jobs(commands::jobs::JobsCommand),
    /// Run one prompt through a local model and print the completion as it is generated.
    Generate(commands::generate::GenerateArgs),
    /// The LAN API (OpenAI and Anthropic compatible) over a local model.
    Serve(commands::serve::ServeArgs),
    /// An interactive conversation with a local model (its chat template, streamed replies).
    Chat(commands::chat::ChatArgs),
    /// Decode speed at batch 1 (tokens/s), for a model or random weights of a config's shape.
    Bench(commands::bench::BenchArgs),
    /// Training speed and memory (LoRA) for random weights of a config's shape.
    BenchTrain(commands::bench_train::BenchTrainArgs),
    /// GPUs (through NVML), CPU, RAM and free disk; `--watch` for live samples.
    Hw(commands::hw::HwArgs),
    /// GPU memory to train (lora, qlora, full) or serve (--infer) a model, and whether it fits.
    Estimate(commands::estimate::EstimateArgs),
    /// Fine-tune a model (LoRA or full) on a local dataset; `--preview` shows the trained tokens.
    Train(Box<commands::train::TrainArgs>),
    /// Users: first-run setup without a window, password reset, list.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Data recipes (Unsloth Studio's format): validate a file, preview its rows.
    #[command(subcommand)]
    Recipe(commands::recipe::RecipeCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::print_error(&err, cli.json);
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let data_dir = loris_core::DataDir::from_env()?;
    let _log = loris_core::logging::init(&data_dir.log_dir(), cli.verbose)?;
    let service = loris_core::Service::open(data_dir)?;
    match &cli.command {
        Command::Info => commands::info::run(&service, cli.json),
        Command::Jobs(cmd) => commands::jobs::run(&service, cmd, cli.json),
        Command::Generate(args) => commands::generate::run(args, cli.json),
        Command::Chat(args) => commands::chat::run(args),
        Command::Serve(args) => commands::serve::run(&service, args, cli.json),
        Command::Bench(args) => commands::bench::run(args, cli.json),
        Command::BenchTrain(args) => commands::bench_train::run(args, cli.json),
        Command::Hw(args) => commands::hw::run(args, service.data_dir().root(), cli.json),
        Command::Estimate(args) => commands::estimate::run(args, cli.json),
        Command::Train(args) => commands::train::run(&service, args, cli.json),
        Command::User(cmd) => commands::user::run(&service, cmd, cli.json),
        Command::Recipe(cmd) => commands::recipe::run(cmd, cli.json),
    }
}
