#include "core/kube/informer/informer.h"

#include "core/util/check.h"

namespace univirt::kube {

Informer::Informer(ListWatch list_watch, std::vector<std::string> indexed_labels,
                   util::Clock& clock)
    : list_watch_(std::move(list_watch)), clock_(clock), cache_(std::move(indexed_labels)) {}

Informer::~Informer() { stop(); }

void Informer::addHandlers(EventHandlers handlers) {
  UNIVIRT_CHECK(reflector_ == nullptr, "handlers are registered before start()");
  handlers_.push_back(std::move(handlers));
}

void Informer::setResyncPeriod(util::Clock::Duration period) {
  UNIVIRT_CHECK(reflector_ == nullptr, "the resync period is set before start()");
  UNIVIRT_CHECK(period.count() >= 0, "a resync period is not negative");
  resync_period_ = period;
}

void Informer::start() {
  UNIVIRT_CHECK(reflector_ == nullptr, "an informer is started once");
  UNIVIRT_CHECK(list_watch_.client != nullptr, "the ListWatch names a client");
  reflector_ = std::make_unique<Reflector>(list_watch_, cache_, handlers_, clock_);
  thread_ = std::jthread(
      [reflector = reflector_.get()](std::stop_token stop) { reflector->run(std::move(stop)); });
  if (resync_period_.count() > 0) {
    resync_thread_ = std::jthread([this, reflector = reflector_.get()](std::stop_token stop) {
      resyncLoop(*reflector, stop);
    });
  }
}

// client-go restarts its resync timer after each round (no catch-up burst after a long
// round or a jump of the clock), and only resyncs a cache that was listed.
void Informer::resyncLoop(Reflector& reflector, std::stop_token stop) {
  if (!reflector.waitForSync(stop)) {
    return;
  }
  while (clock_.sleepFor(resync_period_, stop)) {
    reflector.resync(stop);
  }
}

void Informer::stop() {
  // Both threads are told first, so neither waits for the other to wind down.
  thread_.request_stop();
  resync_thread_.request_stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (resync_thread_.joinable()) {
    resync_thread_.join();
  }
}

bool Informer::hasSynced() const { return reflector_ != nullptr && reflector_->hasSynced(); }

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  return reflector_ != nullptr && reflector_->waitForSync(timeout);
}

Reflector::Stats Informer::stats() const {
  return reflector_ != nullptr ? reflector_->stats() : Reflector::Stats{};
}

}  // namespace univirt::kube
