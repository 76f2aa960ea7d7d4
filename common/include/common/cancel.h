#pragma once
// The SIGINT flag polled by long-running loops (probes, kernels), so Ctrl-C frees and exits
// cleanly.

namespace hwplan {

/// Installs a SIGINT handler that sets the cancel flag (idempotent).
void install_cancel_handler();
/// True once SIGINT was received (or request_cancel() was called).
bool cancel_requested();
/// Sets the flag by hand (tests, or a caller that wants to stop work).
void request_cancel();
/// Clears the flag (tests).
void reset_cancel();

}  // namespace hwplan
