// libcurl's multi-socket API on libuv (as in curl's docs/examples/multi-uv.c): libcurl
// says which sockets to watch (OnSocket) and when to time out (OnTimer); libuv reports
// readiness and we hand it back with curl_multi_socket_action. Completed transfers and
// stream lines are queued by libcurl's callbacks and delivered after it returns, so
// that user callbacks may start and cancel transfers freely.
#include "dnsd/cluster/etcd_client.h"

#include <curl/curl.h>

#include <utility>

namespace dnsd::cluster {

struct EtcdClient::Socket {
  EtcdClient* client = nullptr;
  int fd = -1;
  uv::UvHandle<uv_poll_t> poll;
};

struct EtcdClient::Transfer {
  EtcdClient* client = nullptr;
  uint64_t id = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string request;
  std::string data;  // the answer's body; for streams, the incomplete last line
  char errbuf[CURL_ERROR_SIZE] = {};
  bool stream = false;
  std::vector<std::string> lines;  // complete stream lines not delivered yet
  bool finished = false;
  CURLcode code = CURLE_OK;
  long status = 0;
  Reply reply;
  Message on_message;
  End on_end;

  ~Transfer() {
    if (easy) {
      if (!finished) curl_multi_remove_handle(static_cast<CURLM*>(client->multi_), easy);
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
  }
};

namespace {

size_t OnData(char* ptr, size_t size, size_t n, void* userp) {
  auto* t = static_cast<EtcdClient::Transfer*>(userp);
  t->data.append(ptr, size * n);
  if (t->stream) {
    size_t start = 0, nl;
    while ((nl = t->data.find('\n', start)) != std::string::npos) {
      if (nl > start) t->lines.emplace_back(t->data, start, nl - start);
      start = nl + 1;
    }
    t->data.erase(0, start);
  }
  return size * n;
}

}  // namespace

EtcdClient::EtcdClient(uv_loop_t* loop, std::vector<std::string> endpoints)
    : loop_(loop), endpoints_(std::move(endpoints)) {
  if (endpoints_.empty()) endpoints_.push_back("http://127.0.0.1:2379");
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted by libcurl itself
  multi_ = curl_multi_init();
  CURLM* m = static_cast<CURLM*>(multi_);
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &EtcdClient::OnSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &EtcdClient::OnTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
  timer_.Init([&](uv_timer_t* h) { return uv_timer_init(loop_, h); });
  if (timer_) timer_.get()->data = this;
}

EtcdClient::~EtcdClient() {
  transfers_.clear();  // removes every easy handle; libcurl may call OnSocket meanwhile
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
  sockets_.clear();
  timer_.Reset();
  curl_global_cleanup();
}

void EtcdClient::Call(const std::string& path, std::string body, std::chrono::milliseconds timeout,
                      Reply reply) {
  auto t = std::make_unique<Transfer>();
  t->reply = std::move(reply);
  Start(path, std::move(body), static_cast<long>(timeout.count()), std::move(t));
}

void EtcdClient::Request(std::string method, const std::string& path, std::string body,
                         std::vector<std::string> headers, std::chrono::milliseconds timeout,
                         Reply reply) {
  auto t = std::make_unique<Transfer>();
  t->reply = std::move(reply);
  Start(path, std::move(body), static_cast<long>(timeout.count()), std::move(t), method, headers);
}

uint64_t EtcdClient::Stream(const std::string& path, std::string body, Message on_message,
                            End on_end) {
  auto t = std::make_unique<Transfer>();
  t->stream = true;
  t->on_message = std::move(on_message);
  t->on_end = std::move(on_end);
  return Start(path, std::move(body), 0, std::move(t));
}

uint64_t EtcdClient::Start(const std::string& path, std::string body, long timeout_ms,
                           std::unique_ptr<Transfer> t, const std::string& method,
                           const std::vector<std::string>& headers) {
  t->client = this;
  t->id = next_id_++;
  t->request = std::move(body);
  t->easy = curl_easy_init();
  CURL* e = t->easy;
  const std::string url = endpoints_[current_] + path;
  t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  for (const std::string& h : headers) t->headers = curl_slist_append(t->headers, h.c_str());
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  if (method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->request.size()));
    if (method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 5L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 2L);
  if (timeout_ms > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  const uint64_t id = t->id;
  transfers_.emplace(id, std::move(t));
  curl_multi_add_handle(static_cast<CURLM*>(multi_), e);
  return id;
}

void EtcdClient::Cancel(uint64_t id) { transfers_.erase(id); }

void EtcdClient::Failover() { current_ = (current_ + 1) % endpoints_.size(); }

int EtcdClient::OnTimer(void*, long timeout_ms, void* userp) {
  auto* self = static_cast<EtcdClient*>(userp);
  if (!self->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_.get());
    return 0;
  }
  // Never act from inside libcurl: even a 0 ms timeout runs on the next loop turn.
  uv_timer_start(
      self->timer_.get(),
      [](uv_timer_t* h) {
        if (auto* c = static_cast<EtcdClient*>(h->data)) c->Act(CURL_SOCKET_TIMEOUT, 0);
      },
      static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

int EtcdClient::OnSocket(void*, int fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<EtcdClient*>(userp);
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
    owned->client = self;
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
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (ev & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (ev & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    sock->client->Act(sock->fd, flags);
  });
  return 0;
}

void EtcdClient::Act(int fd, int events) {
  CURLM* m = static_cast<CURLM*>(multi_);
  int running = 0;
  curl_multi_socket_action(m, fd, events, &running);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    if (!t) continue;
    t->code = msg->data.result;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &t->status);
    curl_multi_remove_handle(m, msg->easy_handle);
    t->finished = true;
  }
  Deliver();
}

void EtcdClient::Deliver() {
  std::vector<uint64_t> ids;
  for (const auto& [id, t] : transfers_) {
    if (t->finished || !t->lines.empty()) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    auto it = transfers_.find(id);
    // Lines first: a callback may cancel its own stream, so look the transfer up again.
    while (it != transfers_.end() && !it->second->lines.empty()) {
      std::string line = std::move(it->second->lines.front());
      it->second->lines.erase(it->second->lines.begin());
      Message on_message = it->second->on_message;
      on_message(line);
      it = transfers_.find(id);
    }
    if (it == transfers_.end() || !it->second->finished) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    std::string error;
    if (t->code != CURLE_OK) {
      error = curl_easy_strerror(t->code);
      if (t->errbuf[0]) error += std::string(": ") + t->errbuf;
    } else if (t->status < 200 || t->status >= 300) {
      error = "HTTP " + std::to_string(t->status) + ": " + t->data.substr(0, 300);
    }
    if (t->stream) {
      if (t->on_end) t->on_end(error.empty() ? "the stream ended" : error);
      continue;
    }
    EtcdReply r;
    r.status = t->status;
    r.body = std::move(t->data);
    r.error = std::move(error);
    r.sent_maybe = t->code != CURLE_COULDNT_CONNECT && t->code != CURLE_COULDNT_RESOLVE_HOST;
    if (t->reply) t->reply(std::move(r));
  }
}

}  // namespace dnsd::cluster
