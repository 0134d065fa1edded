#include "dnsd/forward/forwarder.h"

#include <ares.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <unordered_map>

#include "dnsd/forward/message.h"
#include "dnsd/log/dns_text.h"
#include "dnsd/uv/uv_handle.h"

namespace dnsd::forward {

using uv::UvHandle;

// One c-ares channel bound to a libuv loop. c-ares tells us which sockets to watch
// (sock_state_cb); we tell it when they are ready (ares_process_fd) and when its next
// timeout is due (ares_timeout -> uv_timer).
struct Forwarder::Channel {
  uv_loop_t* loop = nullptr;
  ares_channel channel = nullptr;
  UvHandle<uv_timer_t> timer;
  std::unordered_map<ares_socket_t, UvHandle<uv_poll_t>> polls;

  ~Channel() {
    // Cancels pending queries (callbacks see ARES_EDESTRUCTION) and reports every socket
    // closed through SockState, which closes the matching poll handles.
    if (channel != nullptr) ares_destroy(channel);
  }

  void ArmTimer() {
    if (!timer) return;
    timeval tv{};
    timeval* next = ares_timeout(channel, nullptr, &tv);
    if (next == nullptr) {
      uv_timer_stop(timer.get());
      return;
    }
    uint64_t ms = static_cast<uint64_t>(next->tv_sec) * 1000 + (next->tv_usec + 999) / 1000;
    uv_timer_start(timer.get(), &Channel::OnTimer, ms, 0);
  }

  static void OnTimer(uv_timer_t* handle) {
    auto* self = static_cast<Channel*>(handle->data);
    if (self == nullptr) return;
    ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->ArmTimer();
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Channel*>(handle->data);
    if (self == nullptr) return;
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd);
    // On a poll error let c-ares read the socket: it sees the error and moves on.
    ares_socket_t r = (status < 0 || (events & UV_READABLE)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (status == 0 && (events & UV_WRITABLE)) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(self->channel, r, w);
    self->ArmTimer();
  }

  static void SockState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Channel*>(data);
    if (!readable && !writable) {
      self->polls.erase(fd);  // c-ares closes fd right after this returns
      return;
    }
    auto it = self->polls.find(fd);
    if (it == self->polls.end()) {
      UvHandle<uv_poll_t> poll;
      if (poll.Init([&](uv_poll_t* h) { return uv_poll_init_socket(self->loop, h, fd); }) != 0) {
        return;  // the query times out through the timer instead
      }
      poll.get()->data = self;
      it = self->polls.emplace(fd, std::move(poll)).first;
    }
    int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    uv_poll_start(it->second.get(), events, &Channel::OnPoll);
  }
};

struct Forwarder::Pending {
  Forwarder* owner = nullptr;
  Channel* channel = nullptr;
  std::vector<uint8_t> query;
  Done done;
};

namespace {

std::vector<ares_addr_port_node> ServerList(const std::vector<Upstream>& upstreams) {
  std::vector<ares_addr_port_node> nodes(upstreams.size());
  for (size_t i = 0; i < upstreams.size(); ++i) {
    ares_addr_port_node& n = nodes[i];
    const Upstream& u = upstreams[i];
    n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    sockaddr_storage ss{};
    u.ToSockaddr(ss);  // upstreams are parsed, so the host is an IP literal
    n.family = ss.ss_family;
    if (n.family == AF_INET6) {
      std::memcpy(&n.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
    } else {
      std::memcpy(&n.addr.addr4, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    }
    n.udp_port = u.port;
    n.tcp_port = u.port;
  }
  return nodes;
}

// What went wrong, in words: c-ares's status for the query and, with several
// upstreams, how many of them timed out.
std::string FailureText(int status, int timeouts, size_t upstreams) {
  std::string what;
  switch (status) {
    case ARES_ETIMEOUT:
      what = "timeout";
      break;
    case ARES_ECONNREFUSED:
      what = "connection refused";
      break;
    case ARES_ESERVFAIL:
      what = "answered SERVFAIL";
      break;
    case ARES_EREFUSED:
      what = "answered REFUSED";
      break;
    case ARES_ENOTIMP:
      what = "answered NOTIMP";
      break;
    case ARES_EFORMERR:
      what = "answered FORMERR";
      break;
    case ARES_SUCCESS:
      what = "answer shorter than a DNS header";
      break;
    default:
      what = ares_strerror(status);
  }
  // c-ares reports one status for the whole query, not one per upstream.
  if (upstreams > 1) {
    what += " (" + std::to_string(timeouts) + " of " + std::to_string(upstreams) +
            " upstreams timed out)";
  }
  return what;
}

}  // namespace

Forwarder::Forwarder(ForwarderOptions options, metrics::DnsMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

Forwarder::~Forwarder() {
  udp_.reset();
  tcp_.reset();
}

std::unique_ptr<Forwarder> Forwarder::Create(uv_loop_t* loop, ForwarderOptions options,
                                             metrics::DnsMetrics& metrics, std::string& error) {
  if (options.upstreams.empty()) {
    error = "no upstream resolvers";
    return nullptr;
  }
  std::unique_ptr<Forwarder> f(new Forwarder(std::move(options), metrics));
  std::vector<ares_addr_port_node> servers = ServerList(f->options_.upstreams);
  for (bool tcp : {false, true}) {
    auto ch = std::make_unique<Channel>();
    ch->loop = loop;
    ares_options opts{};
    // NOCHECKRESP stays off: c-ares then treats SERVFAIL/REFUSED/NOTIMP as a failure
    // of that server and moves on to the next one.
    opts.flags =
        ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | (tcp ? ARES_FLAG_USEVC : ARES_FLAG_IGNTC);
    opts.timeout = static_cast<int>(f->options_.timeout.count());
    opts.tries = 1;
    opts.sock_state_cb = &Channel::SockState;
    opts.sock_state_cb_data = ch.get();
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NOROTATE |
               ARES_OPT_SOCK_STATE_CB;
    int rc = ares_init_options(&ch->channel, &opts, mask);
    if (rc == ARES_SUCCESS) rc = ares_set_servers_ports(ch->channel, servers.data());
    if (rc != ARES_SUCCESS) {
      error = std::string("c-ares: ") + ares_strerror(rc);
      return nullptr;
    }
    int uv = ch->timer.Init([&](uv_timer_t* h) { return uv_timer_init(loop, h); });
    if (uv != 0) {
      error = std::string("uv_timer_init: ") + uv_strerror(uv);
      return nullptr;
    }
    ch->timer.get()->data = ch.get();
    (tcp ? f->tcp_ : f->udp_) = std::move(ch);
  }
  return f;
}

void Forwarder::Forward(std::span<const uint8_t> query, Protocol protocol, Done done) {
  metrics_.forwarded.Inc();
  auto pending = std::make_unique<Pending>();
  pending->owner = this;
  pending->channel = protocol == Protocol::kTcp ? tcp_.get() : udp_.get();
  pending->query.assign(query.begin(), query.end());
  pending->done = std::move(done);
  if (in_flight_ >= options_.max_in_flight) {
    Fail(*pending, std::to_string(in_flight_) + " forwards already in flight (the limit)", false);
    return;
  }
  ++in_flight_;
  Channel* ch = pending->channel;
  const std::vector<uint8_t>& q = pending->query;
  // c-ares copies the query; the callback owns `pending` from here on (it may run now).
  ares_send(ch->channel, q.data(), static_cast<int>(q.size()), &Forwarder::OnAnswer,
            pending.release());
  ch->ArmTimer();
}

void Forwarder::OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  if (status == ARES_EDESTRUCTION) return;  // the Forwarder is going away
  Forwarder* self = pending->owner;
  --self->in_flight_;
  try {
    if (status == ARES_SUCCESS && abuf != nullptr && alen >= static_cast<int>(wire::kHeaderSize)) {
      std::vector<uint8_t> answer(abuf, abuf + alen);
      RestoreClientView(pending->query, answer);
      pending->done(answer);
    } else {
      self->Fail(*pending, FailureText(status, timeouts, self->options_.upstreams.size()), true);
    }
  } catch (...) {
    // Nothing may cross into c-ares; the client retries on its own timeout.
  }
}

std::string Forwarder::UpstreamNames() const {
  std::string out;
  for (const Upstream& u : options_.upstreams) out += (out.empty() ? "" : ", ") + u.ToString();
  return out;
}

void Forwarder::Fail(const Pending& pending, std::string_view why, bool sent) {
  metrics_.upstream_failures.Inc();
  uint64_t suppressed = 0;
  if (spdlog::should_log(spdlog::level::warn) &&
      failure_log_.Allow(std::chrono::steady_clock::now(), &suppressed)) {
    log::MessageSummary q = log::Summarize(pending.query, false);
    std::string question = q.has_question ? q.qname + " " + log::TypeText(q.qtype) : "?";
    const char* proto = pending.channel == tcp_.get() ? "tcp" : "udp";
    std::string who = !sent ? "not forwarded"
                      : options_.upstreams.size() == 1
                          ? UpstreamNames() + " failed"
                          : "every upstream (" + UpstreamNames() + ") failed";
    std::string line = fmt::format("upstream failure: {} for {} over {}: {}; answering SERVFAIL",
                                   who, question, proto, why);
    if (suppressed > 0) line += fmt::format(" ({} similar suppressed)", suppressed);
    spdlog::warn(std::string_view(line));
  }
  std::vector<uint8_t> servfail;
  if (BuildServfail(pending.query, servfail)) pending.done(servfail);
}

}  // namespace dnsd::forward
