pub mod info;
pub mod jobs;
