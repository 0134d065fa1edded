// EtcdClient: etcd's v3 JSON gateway (POST /v3/...) over HTTP/1.1, through libcurl's
// multi interface driven by a libuv loop (uv_poll per socket, one uv_timer): no call
// blocks the loop. Unary calls (range, txn, lease grant/keepalive/revoke) and streams
// (watch: newline-delimited JSON messages) go to the current endpoint; Failover() moves
// to the next one in the list. Connections are kept alive and reused between calls.
//
// Threading and ownership: everything runs on the loop's thread. Callbacks run from the
// loop, never from inside libcurl, so they may start or cancel calls. Destroying the
// client cancels every call without running its callback and closes its handles (libuv
// frees them on the loop afterwards).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/curl/curl_multi.h"

namespace dnsd::cluster {

// The outcome of a unary call: transport or HTTP failure in error (status 0 when no HTTP
// answer came), else the answer's body. sent_maybe: the request may have reached etcd
// (a write may have been applied even though the answer was lost).
struct EtcdReply {
  long status = 0;
  std::string body;
  std::string error;
  bool sent_maybe = false;
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

class EtcdClient {
 public:
  using Reply = std::function<void(EtcdReply)>;
  using Message = std::function<void(std::string_view line)>;
  using End = std::function<void(std::string error)>;

  // ca_file: PEM CA certificates that verify https:// endpoints; empty = the system's.
  EtcdClient(uv_loop_t* loop, std::vector<std::string> endpoints, std::string ca_file = {});
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs body (JSON) to endpoint + path; reply runs once, within timeout.
  void Call(const std::string& path, std::string body, std::chrono::milliseconds timeout,
            Reply reply);
  // Any method ("GET" sends no body) with extra header lines ("Authorization: ..."); the
  // same contract as Call. Also serves the agent's calls to a dnsd (dnsd/agent).
  void Request(std::string method, const std::string& path, std::string body,
               std::vector<std::string> headers, std::chrono::milliseconds timeout, Reply reply);
  // A streaming POST: on_message for every complete line, on_end once when the stream
  // ends (error text, or empty on a clean end). Returns an id for Cancel.
  uint64_t Stream(const std::string& path, std::string body, Message on_message, End on_end);
  void Cancel(uint64_t id);  // no callback runs for it afterwards

  void Failover();  // the next endpoint, for the calls started from now on
  const std::string& endpoint() const { return endpoints_[current_]; }

  // Internal (defined in etcd_client.cc); named here for libcurl's C callbacks.
  struct Transfer;

 private:
  uint64_t Start(const std::string& path, std::string body, long timeout_ms,
                 std::unique_ptr<Transfer> t, const std::string& method = "POST",
                 const std::vector<std::string>& headers = {});
  void Deliver();  // runs the callbacks that libcurl's callbacks queued

  uv_loop_t* loop_;
  std::vector<std::string> endpoints_;
  std::string ca_file_;
  size_t current_ = 0;
  std::unique_ptr<curl::CurlMulti> multi_;  // outlives transfers_ (declared first)
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Transfer>> transfers_;
};

}  // namespace dnsd::cluster
