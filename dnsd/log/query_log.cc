#include "dnsd/log/query_log.h"

#include <spdlog/spdlog.h>

#include "dnsd/addr/address.h"
#include "dnsd/log/dns_text.h"

namespace dnsd::log {
namespace {

void AppendFlags(const MessageSummary& r, std::string& out) {
  size_t before = out.size();
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (out.size() != before) out += ',';
    out += name;
  };
  add(r.aa(), "aa");
  add(r.tc(), "tc");
  add(r.rd(), "rd");
  add(r.ra(), "ra");
  if (out.size() == before) out += '-';
}

}  // namespace

std::string FormatPeer(const sockaddr* peer) { return addr::FormatSockaddr(peer); }

std::string FormatQuery(const QueryRecord& record) {
  MessageSummary q = Summarize(record.query, false);
  std::string out = "query client=" + FormatPeer(record.peer);
  out += record.tcp ? " proto=tcp" : " proto=udp";
  if (q.has_question) {
    out += " name=" + q.qname + " type=" + TypeText(q.qtype);
    if (q.qclass != 1) out += " class=" + ClassText(q.qclass);
  } else {
    out += " name=- type=-";
  }
  if (record.response.empty()) {
    out += " rcode=- answers=- size=0 flags=-";
  } else {
    MessageSummary r = Summarize(record.response, true);
    if (r.has_header) {
      out += " rcode=" + RcodeText(r.rcode) + " answers=" + std::to_string(r.ancount);
    } else {
      out += " rcode=- answers=-";
    }
    out += " size=" + std::to_string(record.response.size()) + " flags=";
    AppendFlags(r, out);
  }
  out += record.forwarded ? " forwarded=yes" : " forwarded=no";
  out += fmt::format(" time={:.6f}s", record.seconds < 0 ? 0.0 : record.seconds);
  return out;
}

void LogQuery(const QueryRecord& record) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (logger == nullptr || !logger->should_log(spdlog::level::info)) return;
  logger->info(FormatQuery(record));
}

std::string_view MalformedReason(std::span<const uint8_t> packet) {
  MessageSummary s = Summarize(packet, true);
  if (!s.has_header) return "short header";
  if (s.qr()) return "QR=1 (a response)";
  if (s.qdcount == 0) return "no question";
  if (s.qdcount > 1) return "more than one question";
  if (!s.has_question) return "bad question";
  if (!s.records_ok) return "bad record section";
  return "unparsable";
}

void WarnMalformed(const sockaddr* peer, std::span<const uint8_t> packet, uint64_t suppressed) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (logger == nullptr || !logger->should_log(spdlog::level::warn)) return;
  std::string line = "malformed packet client=" + FormatPeer(peer) +
                     " size=" + std::to_string(packet.size()) + ": " +
                     std::string(MalformedReason(packet));
  if (suppressed > 0) line += " (" + std::to_string(suppressed) + " similar suppressed)";
  logger->warn(line);
}

}  // namespace dnsd::log
