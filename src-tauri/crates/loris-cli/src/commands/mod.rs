pub mod estimate;
pub mod generate;
pub mod hw;
pub mod info;
pub mod jobs;
pub mod user;
