use clap::Subcommand;
use loris_core::Service;

use crate::output::print_json;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Every job, newest first, with its state.
    List,
    /// Ask a running job to stop.
    Cancel { id: String },
}

pub fn run(service: &Service, command: &JobsCommand, json: bool) -> anyhow::Result<()> {
    match command {
        JobsCommand::List => {
            let jobs = service.jobs().list()?;
            if json {
                return print_json(&jobs);
            }
            if jobs.is_empty() {
                println!("no jobs yet");
            }
            for job in jobs {
                let error = job.error.map(|e| format!("  ({e})")).unwrap_or_default();
                println!(
                    "{}  {:<12} {:<20} {}{error}",
                    job.id,
                    job.state.as_str(),
                    job.kind,
                    job.created_at
                );
            }
            Ok(())
        }
        JobsCommand::Cancel { id } => {
            service.jobs().cancel(id)?;
            if json {
                return print_json(&serde_json::json!({ "cancelled": id }));
            }
            println!("cancellation requested for {id}");
            Ok(())
        }
    }
}
