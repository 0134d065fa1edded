#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "dnsd/config/config.h"

namespace fs = std::filesystem;

namespace {

using dnsd::config::CommandLine;

// A config file in the temp dir, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ = (fs::temp_directory_path() / ("dnsd-config-test-" + std::to_string(getpid()) + "-" +
                                          std::to_string(++counter) + ".yaml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "dnsd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return dnsd::config::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> Messages(const CommandLine& cl) {
  std::vector<std::string> out;
  for (const auto& e : cl.errors) out.push_back(e.ToString());
  return out;
}

}  // namespace

TEST_CASE("No flags give the SPEC defaults", "[config]") {
  CommandLine cl = Parse({});
  REQUIRE(Messages(cl).empty());
  CHECK(cl.exit_code == 0);
  CHECK_FALSE(cl.exit_now);
  CHECK(cl.config.dns.listen.size() == 1);
  CHECK(cl.config.dns.listen[0].ToString() == "127.0.0.1:8600");
  CHECK(cl.config.http.listen[0].ToString() == "127.0.0.1:8500");
  CHECK(cl.config.dns.domain == "discovery.");
  CHECK(cl.config.dns.upstreams.empty());
  CHECK(cl.config.storage.data_dir.empty());
}

TEST_CASE("Flags override the file and repeated flags replace its lists", "[config]") {
  TempFile file(R"(dns:
  listen: ["127.0.0.1:5300", "[::1]:5300"]
  domain: consul
  upstreams: [10.0.0.2]
  ttl: 30
  workers: 4
http:
  listen: ["127.0.0.1:9000"]
log:
  level: debug
)");
  CommandLine cl =
      Parse({"--config", file.path(), "--dns-listen", "127.0.0.1:0", "--dns-listen", "[::1]:0",
             "--ttl", "3", "--upstream", "system", "--domain", "Service.Lab", "--zones",
             "/srv/zones", "--data-dir", "/var/lib/dnsd", "--log-level", "warn", "--check-config"});
  REQUIRE(Messages(cl).empty());
  const auto& c = cl.config;
  REQUIRE(c.dns.listen.size() == 2);
  CHECK(c.dns.listen[0].ToString() == "127.0.0.1:0");
  CHECK(c.dns.listen[1].ToString() == "[::1]:0");
  CHECK(c.dns.ttl == 3);
  CHECK(c.dns.workers == 4);  // from the file: no flag
  CHECK(c.dns.upstreams == std::vector<std::string>{"system"});
  CHECK(c.dns.domain == "service.lab.");
  CHECK(c.http.listen[0].ToString() == "127.0.0.1:9000");
  CHECK(c.zones.dir == "/srv/zones");
  CHECK(c.zones_dir_explicit);
  CHECK(c.storage.data_dir == "/var/lib/dnsd");
  CHECK(c.log.level == "warn");
  CHECK(cl.check_config);
}

TEST_CASE("Every problem of file, flags and validation is reported at once", "[config]") {
  TempFile file("dns:\n  ttl: x\n  bogus: 1\n");
  CommandLine cl = Parse({"--config", file.path(), "--workers", "1000", "--http-listen",
                          "127.0.0.1:8600", "--dns-listen", "nope"});
  CHECK(Messages(cl) ==
        std::vector<std::string>{
            file.path() + ":2: dns.ttl: must be a whole number, got \"x\"",
            file.path() + ":3: dns.bogus: unknown key",
            "command line: --dns-listen: \"nope\" is not an address: expected IP:PORT, "
            "[IPv6]:PORT or IP",
            "command line: --workers: must be between 0 and 256, got 1000",
            "http.listen: 127.0.0.1:8600 is also a dns.listen address",
        });
  CHECK(cl.exit_code == 1);
  CHECK_FALSE(cl.exit_now);
}

TEST_CASE("Command line problems become errors, never exceptions", "[config]") {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"--config", "/nonexistent/dnsd.yaml"},
       "/nonexistent/dnsd.yaml: cannot read the configuration file: No such file or directory"},
      {{"--bogus"}, "command line: The following argument was not expected: --bogus"},
      {{"--ttl"}, "command line: --ttl: 1 required SECONDS missing"},
      {{"--ttl", "-5"}, "command line: --ttl: must be a whole number, got \"-5\""},
      {{"--upstream", "dns.google"},
       "command line: --upstream: \"dns.google\" is not an upstream: expected an IP address "
       "with an optional port (10.0.0.2, 10.0.0.2:53, [2001:db8::1]:53) or \"system\""},
      {{"--log-level", "loud"},
       "command line: --log-level: must be one of debug, info, warn, error; got \"loud\""},
      {{"--domain", "a..b"},
       "command line: --domain: \"a..b.\" is not a valid domain name: empty label"},
      {{"--upstream", "127.0.0.1:8600"},
       "dns.upstreams: 127.0.0.1:8600 is dnsd's own listen address"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    CommandLine cl = Parse(c.args);
    CHECK(Messages(cl) == std::vector<std::string>{c.error});
    CHECK(cl.exit_code != 0);
  }
}

TEST_CASE("--help prints usage, asks to exit at once; --version is reported", "[config]") {
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  CommandLine help = Parse({"--help"});
  std::cout.rdbuf(saved);
  CHECK(captured.str().find("--dns-listen ADDR:PORT") != std::string::npos);
  CHECK(help.exit_now);
  CHECK(help.exit_code == 0);
  CHECK(help.errors.empty());
  CommandLine version = Parse({"--version"});
  CHECK(version.show_version);
  CHECK(version.errors.empty());
}
