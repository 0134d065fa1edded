// Test helper: installs a default spdlog logger that keeps every formatted line (in the
// given log.format) in memory, and puts the previous default logger back on destruction.
// Also small builders for DNS wire messages.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/log/formatter.h"

namespace dnsd::log::testing {

class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines.push_back(std::move(line));
  }
  void flush_() override {}
};

class CaptureLog {
 public:
  explicit CaptureLog(std::string_view format = "text",
                      spdlog::level::level_enum level = spdlog::level::info)
      : previous_(spdlog::default_logger()), sink_(std::make_shared<LineSink>()) {
    sink_->set_formatter(MakeFormatter(format));
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
  }
  ~CaptureLog() { spdlog::set_default_logger(previous_); }
  CaptureLog(const CaptureLog&) = delete;
  CaptureLog& operator=(const CaptureLog&) = delete;

  const std::vector<std::string>& lines() const { return sink_->lines; }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<LineSink> sink_;
};

// A message with one question; labels are taken verbatim (any bytes).
inline std::vector<uint8_t> Message(uint16_t flags, const std::vector<std::string>& labels,
                                    uint16_t qtype, uint16_t qclass = 1, uint16_t ancount = 0) {
  std::vector<uint8_t> m = {0x12,
                            0x34,
                            static_cast<uint8_t>(flags >> 8),
                            static_cast<uint8_t>(flags),
                            0,
                            1,
                            static_cast<uint8_t>(ancount >> 8),
                            static_cast<uint8_t>(ancount),
                            0,
                            0,
                            0,
                            0};
  for (const std::string& l : labels) {
    m.push_back(static_cast<uint8_t>(l.size()));
    m.insert(m.end(), l.begin(), l.end());
  }
  m.push_back(0);
  for (uint16_t v : {qtype, qclass}) {
    m.push_back(static_cast<uint8_t>(v >> 8));
    m.push_back(static_cast<uint8_t>(v));
  }
  return m;
}

// Appends a record whose owner points at the question name (offset 12).
inline void AddRecord(std::vector<uint8_t>& m, uint16_t type, uint16_t klass, uint32_t ttl,
                      std::vector<uint8_t> rdata) {
  std::vector<uint8_t> r = {0xC0,
                            0x0C,
                            static_cast<uint8_t>(type >> 8),
                            static_cast<uint8_t>(type),
                            static_cast<uint8_t>(klass >> 8),
                            static_cast<uint8_t>(klass),
                            static_cast<uint8_t>(ttl >> 24),
                            static_cast<uint8_t>(ttl >> 16),
                            static_cast<uint8_t>(ttl >> 8),
                            static_cast<uint8_t>(ttl),
                            static_cast<uint8_t>(rdata.size() >> 8),
                            static_cast<uint8_t>(rdata.size())};
  m.insert(m.end(), r.begin(), r.end());
  m.insert(m.end(), rdata.begin(), rdata.end());
}

}  // namespace dnsd::log::testing
