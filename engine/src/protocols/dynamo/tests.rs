mod merkle;
mod pbs;
mod ring;
mod scenarios;
