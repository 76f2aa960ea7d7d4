#include "common/cancel.h"

#include <atomic>
#include <csignal>

namespace hwplan {
namespace {

// Lock-free atomics are async-signal-safe, unlike anything that allocates or locks.
std::atomic<bool> g_cancel{false};

extern "C" void on_sigint(int /*signal*/) { g_cancel.store(true, std::memory_order_relaxed); }

}  // namespace

void install_cancel_handler() { std::signal(SIGINT, on_sigint); }
bool cancel_requested() { return g_cancel.load(std::memory_order_relaxed); }
void request_cancel() { g_cancel.store(true, std::memory_order_relaxed); }
void reset_cancel() { g_cancel.store(false, std::memory_order_relaxed); }

}  // namespace hwplan
