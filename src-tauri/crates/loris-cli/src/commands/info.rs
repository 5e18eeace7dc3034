use loris_core::Service;

use crate::output::{human_bytes, print_json};

pub fn run(service: &Service, json: bool) -> anyhow::Result<()> {
    let info = service.info();
    if json {
        return print_json(&info);
    }
    let hw = &info.hardware;
    println!("Loris Studio {}", info.version);
    println!("data dir:  {}", info.data_dir.display());
    println!("database:  {}", info.database_path.display());
    println!("log file:  {}", info.log_file.display());
    println!("os:        {}", hw.os);
    let physical = hw
        .physical_cores
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into());
    println!(
        "cpu:       {} ({physical} physical / {} logical cores)",
        hw.cpu_model, hw.logical_cores
    );
    println!(
        "memory:    {} total, {} available",
        human_bytes(hw.ram_total_bytes),
        human_bytes(hw.ram_available_bytes)
    );
    if hw.gpus.is_empty() {
        println!(
            "gpus:      none ({})",
            hw.gpu_note.as_deref().unwrap_or("none found")
        );
    }
    for gpu in &hw.gpus {
        println!(
            "gpu:       {} ({})",
            gpu.name,
            human_bytes(gpu.vram_total_bytes)
        );
    }
    Ok(())
}
