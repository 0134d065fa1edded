#include "dnsd/curl/curl_multi.h"

#include <curl/curl.h>

#include <utility>

namespace dnsd::curl {

struct CurlMulti::Socket {
  CurlMulti* owner = nullptr;
  int fd = -1;
  uv::UvHandle<uv_poll_t> poll;
};

CurlMulti::CurlMulti(uv_loop_t* loop, OnAction on_action)
    : loop_(loop), on_action_(std::move(on_action)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted by libcurl itself
  multi_ = curl_multi_init();
  CURLM* m = static_cast<CURLM*>(multi_);
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlMulti::OnSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlMulti::OnTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  timer_.Init([&](uv_timer_t* h) { return uv_timer_init(loop_, h); });
  if (timer_) timer_.get()->data = this;
}

CurlMulti::~CurlMulti() {
  curl_multi_cleanup(static_cast<CURLM*>(multi_));  // the owner removed its handles first
  sockets_.clear();
  timer_.Reset();
  curl_global_cleanup();
}

void CurlMulti::Add(void* easy) { curl_multi_add_handle(static_cast<CURLM*>(multi_), easy); }

void CurlMulti::Remove(void* easy) {
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), easy);
}

int CurlMulti::OnTimer(void*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlMulti*>(userp);
  if (!self->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_.get());
    return 0;
  }
  // Never act from inside libcurl: even a 0 ms timeout runs on the next loop turn.
  uv_timer_start(
      self->timer_.get(),
      [](uv_timer_t* h) {
        if (auto* m = static_cast<CurlMulti*>(h->data)) m->Act(CURL_SOCKET_TIMEOUT, 0);
      },
      static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

int CurlMulti::OnSocket(void*, int fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlMulti*>(userp);
  CURLM* m = static_cast<CURLM*>(self->multi_);
  if (what == CURL_POLL_REMOVE) {
    if (socketp) {
      curl_multi_assign(m, fd, nullptr);
      self->sockets_.erase(fd);  // closes the poll handle
    }
    return 0;
  }
  auto* s = static_cast<Socket*>(socketp);
  if (!s) {
    auto owned = std::make_unique<Socket>();
    owned->owner = self;
    owned->fd = fd;
    if (owned->poll.Init([&](uv_poll_t* h) { return uv_poll_init_socket(self->loop_, h, fd); }) !=
        0) {
      return -1;
    }
    owned->poll.get()->data = owned.get();
    s = owned.get();
    self->sockets_[fd] = std::move(owned);
    curl_multi_assign(m, fd, s);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(s->poll.get(), events, [](uv_poll_t* h, int status, int ev) {
    auto* sock = static_cast<Socket*>(h->data);
    if (!sock) return;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0;
    if (ev & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (ev & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    sock->owner->Act(sock->fd, flags);
  });
  return 0;
}

void CurlMulti::Act(int fd, int events) {
  CURLM* m = static_cast<CURLM*>(multi_);
  int running = 0;
  curl_multi_socket_action(m, fd, events, &running);
  std::vector<Finished> finished;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    finished.push_back({msg->easy_handle, msg->data.result});
    curl_multi_remove_handle(m, msg->easy_handle);
  }
  on_action_(finished);  // the owner's code: after libcurl returned
}

}  // namespace dnsd::curl
