// Transfers on dnsd/curl's CurlMulti (libcurl's multi-socket API on libuv). Completed
// transfers and stream lines are queued by libcurl's callbacks and delivered after it
// returns, so that user callbacks may start and cancel transfers freely.
#include "dnsd/cluster/etcd_client.h"

#include <curl/curl.h>

#include <utility>

namespace dnsd::cluster {

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
      if (!finished) client->multi_->Remove(easy);
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

EtcdClient::EtcdClient(uv_loop_t* loop, std::vector<std::string> endpoints, std::string ca_file)
    : loop_(loop), endpoints_(std::move(endpoints)), ca_file_(std::move(ca_file)) {
  if (endpoints_.empty()) endpoints_.push_back("http://127.0.0.1:2379");
  multi_ = std::make_unique<curl::CurlMulti>(
      loop_, [this](std::vector<curl::CurlMulti::Finished>& finished) {
        for (const curl::CurlMulti::Finished& f : finished) {
          Transfer* t = nullptr;
          curl_easy_getinfo(f.easy, CURLINFO_PRIVATE, &t);
          if (!t) continue;
          t->code = static_cast<CURLcode>(f.code);
          curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &t->status);
          t->finished = true;
        }
        Deliver();
      });
}

EtcdClient::~EtcdClient() {
  transfers_.clear();  // removes every easy handle from the multi handle first
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
  // https:// is verified (peer and host name, libcurl's defaults) against ca_file_.
  if (!ca_file_.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, ca_file_.c_str());
  // HTTP/1.1 also over TLS (libcurl would pick HTTP/2 by ALPN): a watch or long poll
  // keeps a connection of its own, as over plain HTTP.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  const uint64_t id = t->id;
  transfers_.emplace(id, std::move(t));
  multi_->Add(e);
  return id;
}

void EtcdClient::Cancel(uint64_t id) { transfers_.erase(id); }

void EtcdClient::Failover() { current_ = (current_ + 1) % endpoints_.size(); }

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
