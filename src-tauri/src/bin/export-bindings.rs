//! Writes `ui/src/bindings.ts` from the command registry.

fn main() -> anyhow::Result<()> {
    let text = loris_studio::bindings::typescript().map_err(anyhow::Error::msg)?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(loris_studio::bindings::BINDINGS_PATH);
    std::fs::write(&path, text)?;
    println!("wrote {}", path.display());
    Ok(())
}
