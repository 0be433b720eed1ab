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

void Informer::start() {
  UNIVIRT_CHECK(reflector_ == nullptr, "an informer is started once");
  UNIVIRT_CHECK(list_watch_.client != nullptr, "the ListWatch names a client");
  reflector_ = std::make_unique<Reflector>(list_watch_, cache_, handlers_, clock_);
  thread_ = std::jthread(
      [reflector = reflector_.get()](std::stop_token stop) { reflector->run(std::move(stop)); });
}

void Informer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
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
