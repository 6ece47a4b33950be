// Package child runs the helper programs pkwatchdogd starts (systemctl,
// coredumpctl, journalctl, a log command, a start command, dpkg-query,
// eu-stack or gdb) in one way: argv without a shell, an environment
// without the variables by which systemd talks to the daemon alone (Env),
// output kept within a bound however much the program writes, and a
// deadline after which the program and everything it started (its process
// group) is killed.
package child
