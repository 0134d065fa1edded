#include "dnsd/net/worker.h"

#include <unistd.h>

#include <cstring>

#include "dnsd/forward/message.h"
#include "dnsd/net/tcp_connection.h"

namespace dnsd::net {
namespace {

// libuv's recvmmsg path slices the buffer into 64 KiB datagram slots; 8 slots let one
// wakeup drain up to 8 queries.
constexpr size_t kUdpRecvBuffer = 8 * 64 * 1024;
constexpr int kTcpBacklog = 1024;

struct UdpSendRequest {
  uv_udp_send_t req{};
  std::vector<uint8_t> data;
};

void SendUdp(uv_udp_t* socket, std::span<const uint8_t> message, const sockaddr* to) {
  uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(message.data())),
                             static_cast<unsigned>(message.size()));
  int rc = uv_udp_try_send(socket, &buf, 1, to);
  if (rc != UV_EAGAIN) return;  // sent, or an error a UDP client recovers from by retrying
  auto request = std::make_unique<UdpSendRequest>();
  request->data.assign(message.begin(), message.end());
  buf = uv_buf_init(reinterpret_cast<char*>(request->data.data()),
                    static_cast<unsigned>(request->data.size()));
  rc = uv_udp_send(&request->req, socket, &buf, 1, to, [](uv_udp_send_t* req, int) {
    std::unique_ptr<UdpSendRequest> done(reinterpret_cast<UdpSendRequest*>(req));
  });
  if (rc == 0) request.release();  // owned by the callback now
}

double SecondsSince(SteadyTime start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Worker::Worker(size_t index, WorkerContext& context)
    : index_(index),
      context_(context),
      registry_reader_(*context.registry),
      zones_reader_(*context.zones),
      rng_(static_cast<std::minstd_rand::result_type>(std::random_device{}() + index)),
      out_(dns::kMaxMessage),
      udp_recv_buffer_(kUdpRecvBuffer),
      tcp_read_buffer_(64 * 1024) {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) {
    error_ = std::string("uv_loop_init: ") + uv_strerror(rc);
    return;
  }
  loop_ready_ = true;
  rc = stop_.Init([&](uv_async_t* h) { return uv_async_init(&loop_, h, &Worker::OnStop); });
  if (rc != 0) {
    error_ = std::string("uv_async_init: ") + uv_strerror(rc);
    return;
  }
  stop_.get()->data = this;
  if (!context_.forward.upstreams.empty()) {
    forwarder_ = forward::Forwarder::Create(&loop_, context_.forward, metrics_, error_);
  }
}

Worker::~Worker() {
  Stop();
  if (!loop_ready_) return;
  CloseAll();                      // no-op when the worker thread already did it
  uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
  uv_loop_close(&loop_);
}

int Worker::AddUdpSocket(int fd) {
  UvHandle<uv_udp_t> udp;
  int rc =
      udp.Init([&](uv_udp_t* h) { return uv_udp_init_ex(&loop_, h, AF_UNSPEC | UV_UDP_RECVMMSG); });
  if (rc != 0) {
    close(fd);
    return rc;
  }
  rc = uv_udp_open(udp.get(), fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  udp.get()->data = this;
  rc = uv_udp_recv_start(udp.get(), &Worker::OnUdpAlloc, &Worker::OnUdpRecv);
  if (rc != 0) return rc;
  udp_.push_back(std::move(udp));
  return 0;
}

int Worker::AddTcpListener(int fd) {
  UvHandle<uv_tcp_t> tcp;
  int rc = tcp.Init([&](uv_tcp_t* h) { return uv_tcp_init(&loop_, h); });
  if (rc != 0) {
    close(fd);
    return rc;
  }
  rc = uv_tcp_open(tcp.get(), fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  tcp.get()->data = this;
  rc = uv_listen(tcp.stream(), kTcpBacklog, &Worker::OnConnection);
  if (rc != 0) return rc;
  listeners_.push_back(std::move(tcp));
  return 0;
}

void Worker::Start() {
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  if (!stopped_.exchange(true)) uv_async_send(stop_.get());
  thread_.join();
}

void Worker::OnStop(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  if (self != nullptr) self->CloseAll();
}

void Worker::CloseAll() {
  forwarder_.reset();  // first: its pending callbacks refer to sockets and connections
  connections_.clear();
  listeners_.clear();
  udp_.clear();
  stop_.Reset();
}

void Worker::OnUdpAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Worker*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  // One buffer per worker serves every socket: a read completes before the next starts.
  *buf = uv_buf_init(reinterpret_cast<char*>(self->udp_recv_buffer_.data()),
                     static_cast<unsigned>(self->udp_recv_buffer_.size()));
}

void Worker::OnUdpRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                       unsigned flags) {
  auto* self = static_cast<Worker*>(handle->data);
  // nread 0 without an address: nothing to read, or recvmmsg handing the buffer back.
  if (self == nullptr || nread <= 0 || addr == nullptr || (flags & UV_UDP_MMSG_FREE)) return;
  try {
    self->HandleUdp(
        handle, {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)}, addr);
  } catch (...) {
    // Nothing crosses into libuv; the client retries.
  }
}

void Worker::HandleUdp(uv_udp_t* socket, std::span<const uint8_t> query, const sockaddr* from) {
  SteadyTime start = std::chrono::steady_clock::now();
  dns::AnswerResult r = Process(query, dns::Transport::kUdp, start);
  if (r.disposition == dns::Disposition::kReply) {
    SendUdp(socket, answer(r.size), from);
  } else if (r.disposition == dns::Disposition::kForward) {
    sockaddr_storage to{};
    std::memcpy(&to, from,
                from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    Forward(query, forward::Protocol::kUdp, r.qtype, start,
            [socket, to](std::span<const uint8_t> response) {
              if (!response.empty())
                SendUdp(socket, response, reinterpret_cast<const sockaddr*>(&to));
            });
  }
}

dns::AnswerResult Worker::Process(std::span<const uint8_t> query, dns::Transport transport,
                                  SteadyTime start) {
  const registry::RegistryView& view = registry_reader_.Get();
  const zones::ZoneSet& zones = zones_reader_.Get();
  dns::AnswerResult r = dns::Answer(query, transport, view, zones, context_.answer, rng_, out_);
  switch (r.disposition) {
    case dns::Disposition::kReply:
      metrics_.RecordQuery(r.qtype, r.rcode, SecondsSince(start));
      if (r.rcode == 1) metrics_.malformed.Inc();  // FORMERR
      if (r.truncated) {
        (transport == dns::Transport::kUdp ? metrics_.truncated : metrics_.tcp_capped).Inc();
      }
      break;
    case dns::Disposition::kDrop:
      metrics_.dropped.Inc();
      if (query.size() < forward::kHeaderSize) metrics_.malformed.Inc();
      break;
    case dns::Disposition::kForward:
      break;
  }
  return r;
}

void Worker::Forward(std::span<const uint8_t> query, forward::Protocol protocol, uint16_t qtype,
                     SteadyTime start, forward::Forwarder::Done done) {
  auto finish = [this, qtype, start, done = std::move(done)](std::span<const uint8_t> response) {
    RecordForwarded(qtype, response, start);
    done(response);
  };
  if (forwarder_ != nullptr) {
    forwarder_->Forward(query, protocol, std::move(finish));
    return;
  }
  // Answer() only forwards when upstreams are configured; this is a safety net.
  std::vector<uint8_t> servfail;
  metrics_.upstream_failures.Inc();
  if (forward::BuildServfail(query, servfail)) {
    finish(servfail);
  } else {
    finish({});
  }
}

void Worker::RecordForwarded(uint16_t qtype, std::span<const uint8_t> response, SteadyTime start) {
  if (response.size() < forward::kHeaderSize) return;
  metrics_.RecordQuery(qtype, response[3] & 0x0f, SecondsSince(start));
}

void Worker::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Worker*>(server->data);
  if (self == nullptr || status < 0) return;
  try {
    self->Accept(server);
  } catch (...) {
  }
}

void Worker::Accept(uv_stream_t* server) {
  UvHandle<uv_tcp_t> client;
  if (client.Init([&](uv_tcp_t* h) { return uv_tcp_init(&loop_, h); }) != 0) return;
  if (uv_accept(server, client.stream()) != 0) return;
  uint32_t open = context_.tcp_connections.fetch_add(1, std::memory_order_relaxed);
  if (open >= context_.tcp_max_connections) {
    context_.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
    metrics_.tcp_connections_rejected.Inc();
    return;  // `client` closes the connection at once
  }
  uint64_t id = next_connection_id_++;
  auto connection = std::make_unique<TcpConnection>(*this, id, std::move(client));
  if (connection->Start()) connections_.emplace(id, std::move(connection));
}

TcpConnection* Worker::FindConnection(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void Worker::Reap(uint64_t id) { connections_.erase(id); }

}  // namespace dnsd::net
