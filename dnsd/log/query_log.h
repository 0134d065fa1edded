// The query log and the malformed-packet warning of the DNS transports: one line per
// query (info) or per let-through malformed packet (warn), written to spdlog's default
// logger. The message is plain space-separated key=value text with no space, quote or
// control byte inside a value (names are escaped as in zone files: "\032", "\."), so
// with log.format json it becomes the "msg" string of the JSON line exactly as every
// other dnsd log line does (dnsd/logging.cc escapes it), and it is easy to grep or split.
//
// Input is hostile: query and response are parsed with every length checked; a short or
// garbage packet still gives one line, with the fields that could not be read as "-".
// Thread: any thread (spdlog's default logger is thread-safe); nothing is kept.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dnsd::log {

struct QueryRecord {
  const sockaddr* peer = nullptr;     // the client (AF_INET or AF_INET6); may be null
  bool tcp = false;                   // transport: false = UDP
  std::span<const uint8_t> query;     // the client's message as received
  std::span<const uint8_t> response;  // what was sent; empty: nothing was sent
  bool forwarded = false;             // answered by an upstream
  double seconds = 0;                 // receive -> send
};

// Writes one info line, e.g.
//   query client=127.0.0.1:53211 proto=udp name=Web.service.internal. type=SRV
//   rcode=NOERROR answers=3 size=180 flags=aa,rd forwarded=no time=0.000041s
// (one line). name is as the client spelled it (case kept); class=CH etc. follows type
// only when the class is not IN; rcode/answers/flags are "-" and size=0 when nothing was
// sent. Cheap when info is disabled (returns before formatting).
void LogQuery(const QueryRecord& record);

// Writes one warn line about a packet that was dropped or answered FORMERR:
//   malformed packet client=127.0.0.1:53211 size=5: short header (3 similar suppressed)
// (one line; the suppressed part only when suppressed > 0).
// Rate limiting is the caller's (see rate_limit.h); suppressed is what Allow reported.
void WarnMalformed(const sockaddr* peer, std::span<const uint8_t> packet, uint64_t suppressed);

// The pieces, for tests and other callers.
// "ADDR:PORT" / "[ADDR6]:PORT"; "-" when peer is null or of another family.
std::string FormatPeer(const sockaddr* peer);
// The query-log message text (what LogQuery passes to spdlog).
std::string FormatQuery(const QueryRecord& record);
// Why a packet is malformed, when it is cheap to tell ("short header", "QR=1 (a response)",
// "no question", "bad question", ...); "unparsable" otherwise.
std::string_view MalformedReason(std::span<const uint8_t> packet);

}  // namespace dnsd::log
