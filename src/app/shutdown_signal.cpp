#include "app/shutdown_signal.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace courier::app {
namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

sigset_t previous_mask;

}  // namespace

ShutdownSignal::ShutdownSignal() {
  // A shell starts background jobs with SIGINT ignored; an ignored signal is discarded
  // before sigwait could see it, so take the default disposition back first.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask);
}

ShutdownSignal::~ShutdownSignal() {
  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
}

int ShutdownSignal::wait() {
  sigset_t set = shutdown_signals();
  int received = 0;
  while (sigwait(&set, &received) != 0) {
  }
  return received;
}

// A signal sent to our own process is delivered to the thread waiting in sigwait.
void ShutdownSignal::request() {
  kill(getpid(), SIGTERM);
}

}  // namespace courier::app
