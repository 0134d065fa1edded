// CurlMulti: libcurl's multi-socket interface on a libuv loop (as in curl's
// docs/examples/multi-uv.c). libcurl says which sockets to watch and when to time out;
// libuv reports readiness and CurlMulti hands it back with curl_multi_socket_action.
// After every action the owner's callback gets the transfers that completed (already
// removed from the multi handle), outside libcurl, so it may add and remove transfers
// freely. Users: dnsd/cluster's EtcdClient, dnsd/checks's Engine.
//
// The easy handles stay the owner's (curl_easy_init/cleanup); CURL* is passed as void*
// so that libcurl's header stays private to the users that set options.
//
// Thread: the loop's thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dnsd/uv/uv_handle.h"

namespace dnsd::curl {

class CurlMulti {
 public:
  struct Finished {
    void* easy;  // CURL*
    int code;    // CURLcode
  };
  // Runs after each socket or timeout action, with the transfers it completed (maybe none).
  using OnAction = std::function<void(std::vector<Finished>& finished)>;

  CurlMulti(uv_loop_t* loop, OnAction on_action);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  void Add(void* easy);     // starts the transfer
  void Remove(void* easy);  // cancels one not finished yet (no callback for it)

  struct Socket;  // internal; named here for libcurl's C callbacks

 private:
  static int OnSocket(void* easy, int fd, int what, void* userp, void* socketp);
  static int OnTimer(void* multi, long timeout_ms, void* userp);
  void Act(int fd, int events);

  uv_loop_t* loop_;
  OnAction on_action_;
  void* multi_ = nullptr;  // CURLM*
  uv::UvHandle<uv_timer_t> timer_;
  std::unordered_map<int, std::unique_ptr<Socket>> sockets_;  // by fd
};

}  // namespace dnsd::curl
