#include "dnsd/net/worker.h"

#include <unistd.h>


#include "dnsd/forward/message.h"
#include "dnsd/log/query_log.h"
#include "dnsd/net/tcp_connection.h"
#include "dnsd/wire/wire.h"

namespace dnsd::net {
namespace {

constexpr int kTcpBacklog = 1024;

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
  auto socket = std::make_unique<UdpSocket>(*this, *udp_buffers_, fd);  // owns fd now
  int rc = socket->Start(&loop_);
  if (rc != 0) return rc;
  udp_.push_back(std::move(socket));
  return 0;
}

int Worker::AddTcpListener(int fd) {
  uv::UvHandle<uv_tcp_t> tcp;
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

dns::AnswerResult Worker::Process(std::span<const uint8_t> query, dns::Transport transport,
                                  const sockaddr* peer, SteadyTime start) {
  dns::AnswerResult r = cache_.Answer(query, transport, registry_reader_.Shared(),
                                      zones_reader_.Shared(), rng_, out_);
  metrics_.answer_cache_hits.Set(cache_.stats().hits);
  metrics_.answer_cache_builds.Set(cache_.stats().builds);
  switch (r.disposition) {
    case dns::Disposition::kReply:
      // UDP: counted with the batch's latency once sent (RecordUdpReplies).
      if (transport == dns::Transport::kTcp) {
        metrics_.RecordQuery(r.qtype, r.rcode, SecondsSince(start));
      }
      if (r.rcode == wire::kRcodeFormErr) {
        metrics_.malformed.Inc();
        WarnMalformed(query, peer);
      }
      if (r.truncated) {
        (transport == dns::Transport::kUdp ? metrics_.truncated : metrics_.tcp_capped).Inc();
      }
      if (context_.log_queries) {
        log::LogQuery({.peer = peer,
                       .tcp = transport == dns::Transport::kTcp,
                       .query = query,
                       .response = answer(r.size),
                       .forwarded = false,
                       .seconds = SecondsSince(start)});
      }
      break;
    case dns::Disposition::kDrop:
      metrics_.dropped.Inc();
      if (query.size() < wire::kHeaderSize) metrics_.malformed.Inc();
      WarnMalformed(query, peer);
      break;
    case dns::Disposition::kForward:
      break;  // counted and logged when the answer comes back (Forward)
  }
  return r;
}

void Worker::WarnMalformed(std::span<const uint8_t> packet, const sockaddr* peer) {
  uint64_t suppressed = 0;
  if (malformed_log_.Allow(std::chrono::steady_clock::now(), &suppressed)) {
    log::WarnMalformed(peer, packet, suppressed);
  }
}

void Worker::RecordUdpReplies(std::span<const UdpBatchBuffers::ReplyStat> replies,
                              SteadyTime start) {
  if (replies.empty()) return;
  const double seconds = SecondsSince(start);
  for (const UdpBatchBuffers::ReplyStat& r : replies) {
    metrics_.RecordQuery(r.qtype, r.rcode, seconds);
  }
}

void Worker::Forward(std::span<const uint8_t> query, const sockaddr* peer,
                     forward::Protocol protocol, uint16_t qtype, SteadyTime start,
                     forward::Forwarder::Done done) {
  // The query log needs the query and the client when the answer comes back: copies,
  // made only when the log is on (forwarding allocates anyway).
  std::vector<uint8_t> logged_query;
  PeerAddress logged_peer{};
  if (context_.log_queries) {
    logged_query.assign(query.begin(), query.end());
    if (CopyPeer(peer, logged_peer) == 0) logged_peer.sa.sa_family = AF_UNSPEC;
  }
  auto finish = [this, qtype, start, protocol, done = std::move(done),
                 logged_query = std::move(logged_query),
                 logged_peer](std::span<const uint8_t> response) {
    RecordForwarded(qtype, response, start);
    if (context_.log_queries) {
      log::LogQuery({.peer = logged_peer.sa.sa_family == AF_UNSPEC ? nullptr : &logged_peer.sa,
                     .tcp = protocol == forward::Protocol::kTcp,
                     .query = logged_query,
                     .response = response,
                     .forwarded = true,
                     .seconds = SecondsSince(start)});
    }
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
  if (response.size() < wire::kHeaderSize) return;
  metrics_.RecordQuery(qtype, wire::Get16(&response[wire::kFlagsAt]) & wire::kRcodeMask,
                       SecondsSince(start));
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
  uv::UvHandle<uv_tcp_t> client;
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
