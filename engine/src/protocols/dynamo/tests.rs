mod pbs;
