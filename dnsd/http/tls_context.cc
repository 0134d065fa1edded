// OpenSSL setup as h2o's own server and examples/libh2o/simple.c do it: a server context
// without SSLv2/v3 and TLS compression, the chain and key in PEM, and h2o's ALPN protocols
// so that a client may pick HTTP/2 or HTTP/1.1.
#include "dnsd/http/tls_context.h"

#include <openssl/err.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dnsd/http/h2o_glue.h"

namespace dnsd::http::internal {
namespace {

// The last OpenSSL error in words, and the queue emptied.
std::string OpenSslError() {
  unsigned long code = ERR_peek_last_error();
  std::string out;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out = buf;
  }
  ERR_clear_error();
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A missing or unreadable file is said in the kernel's words, not OpenSSL's.
bool Readable(const std::string& key, const std::string& file, std::string& error) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) {
    error = key + ": " + file + ": " + std::strerror(errno);
    return false;
  }
  std::fclose(f);
  return true;
}

}  // namespace

TlsContext LoadTlsContext(const std::string& cert_file, const std::string& key_file,
                          std::string& error) {
  if (!Readable("http.tls.cert", cert_file, error) || !Readable("http.tls.key", key_file, error)) {
    return nullptr;
  }
  TlsContext ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    error = "http.tls: cannot create a TLS context: " + OpenSslError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    error = "http.tls.cert: " + cert_file + ": not a PEM certificate: " + OpenSslError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "http.tls.key: " + key_file + ": not a PEM private key: " + OpenSslError();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    error = "http.tls.key: " + key_file + ": does not match the certificate in " + cert_file +
            ": " + OpenSslError();
    return nullptr;
  }
#if H2O_USE_ALPN
  h2o_ssl_register_alpn_protocols(ctx.get(), h2o_http2_alpn_protocols);
#endif
  return ctx;
}

std::string CheckCaFile(const std::string& key, const std::string& file) {
  std::string error;
  if (!Readable(key, file, error)) return error;
  TlsContext ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return key + ": cannot create a TLS context: " + OpenSslError();
  if (SSL_CTX_load_verify_locations(ctx.get(), file.c_str(), nullptr) != 1) {
    return key + ": " + file + ": no PEM certificate in it: " + OpenSslError();
  }
  return {};
}

}  // namespace dnsd::http::internal
