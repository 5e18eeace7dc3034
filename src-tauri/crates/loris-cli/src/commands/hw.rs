//! `loris hw`: GPUs, CPU, RAM and the data dir's disk; `--watch` prints live samples.

use std::path::Path;
use std::time::Duration;

use loris_hardware::{HardwareReport, HardwareSample};

use crate::output::{human_bytes, print_json};

#[derive(clap::Args)]
pub struct HwArgs {
    /// Print a sample every second (GPU memory, utilization, power; CPU and RAM) until stopped.
    #[arg(long)]
    watch: bool,
    /// With --watch: stop after this many samples.
    #[arg(long, requires = "watch")]
    samples: Option<u64>,
}

pub fn run(args: &HwArgs, data_dir: &Path, json: bool) -> anyhow::Result<()> {
    if args.watch {
        return watch(args.samples, json);
    }
    let report = loris_hardware::detect(Some(data_dir));
    if json {
        return print_json(&report);
    }
    print_report(&report);
    Ok(())
}

fn print_report(r: &HardwareReport) {
    println!("os:        {}", r.os);
    let physical = r
        .cpu
        .physical_cores
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into());
    println!(
        "cpu:       {} ({physical} physical / {} logical cores)",
        r.cpu.model, r.cpu.logical_cores
    );
    println!(
        "memory:    {} total, {} available",
        human_bytes(r.memory.total_bytes),
        human_bytes(r.memory.available_bytes)
    );
    match &r.disk {
        Some(d) => println!(
            "disk:      {} free of {} on {} ({}), holding {}",
            human_bytes(d.free_bytes),
            human_bytes(d.total_bytes),
            d.mount_point.display(),
            d.file_system,
            d.path.display()
        ),
        None => println!("disk:      unknown"),
    }
    if let Some(driver) = &r.nvidia_driver {
        println!(
            "driver:    NVIDIA {} (CUDA {})",
            driver.driver_version.as_deref().unwrap_or("?"),
            driver.cuda_version.as_deref().unwrap_or("?")
        );
    }
    if let Some(reason) = &r.gpu_unavailable_reason {
        println!("gpus:      none ({reason})");
    }
    for g in &r.gpus {
        let mut extras = Vec::new();
        if let Some(cc) = &g.compute_capability {
            extras.push(format!("compute {cc}"));
        }
        if let Some(u) = g.utilization_percent {
            extras.push(format!("{u}% busy"));
        }
        if let Some(t) = g.temperature_c {
            extras.push(format!("{t} °C"));
        }
        match (g.power_draw_watts, g.power_limit_watts) {
            (Some(p), Some(l)) => extras.push(format!("{p:.0}/{l:.0} W")),
            (Some(p), None) => extras.push(format!("{p:.0} W")),
            _ => {}
        }
        println!(
            "cuda:{}:    {} · {} free of {} · {}",
            g.cuda_index,
            g.name,
            human_bytes(g.memory_free_bytes),
            human_bytes(g.memory_total_bytes),
            extras.join(" · ")
        );
    }
    if let Some(v) = &r.cuda_visible_devices {
        println!("visible:   CUDA_VISIBLE_DEVICES={v}");
    }
    for w in &r.warnings {
        println!("warning:   {w}");
    }
}

/// One line per sample: JSON lines with `--json`, else a short text line.
fn watch(limit: Option<u64>, json: bool) -> anyhow::Result<()> {
    let (handle, rx) = loris_hardware::spawn_sampler(loris_hardware::DEFAULT_SAMPLE_INTERVAL);
    let mut seen = 0u64;
    while limit.is_none_or(|n| seen < n) {
        // A sample is due every second; ten without one means the sampler is gone.
        let Ok(sample) = rx.recv_timeout(Duration::from_secs(10)) else {
            break;
        };
        if json {
            println!("{}", serde_json::to_string(&sample)?);
        } else {
            println!("{}", sample_line(&sample));
        }
        seen += 1;
    }
    handle.stop();
    Ok(())
}

fn sample_line(s: &HardwareSample) -> String {
    let cpu = s
        .cpu_usage_percent
        .map(|c| format!("{c:.0}%"))
        .unwrap_or_else(|| "-".into());
    let mut line = format!(
        "cpu {cpu:>4} · ram {} / {}",
        human_bytes(s.ram_used_bytes),
        human_bytes(s.ram_total_bytes)
    );
    for g in &s.gpus {
        line.push_str(&format!(
            " · cuda:{} {} / {} {}% {}",
            g.cuda_index,
            g.memory_used_bytes
                .map(human_bytes)
                .unwrap_or_else(|| "?".into()),
            g.memory_total_bytes
                .map(human_bytes)
                .unwrap_or_else(|| "?".into()),
            g.utilization_percent
                .map(|u| u.to_string())
                .unwrap_or_else(|| "?".into()),
            g.power_draw_watts
                .map(|p| format!("{p:.0} W"))
                .unwrap_or_default(),
        ));
    }
    line
}
