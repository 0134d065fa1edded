// The TLS context of the HTTP listeners (SPEC §12, http.tls): a certificate chain and its
// private key, loaded once at startup, with h2o's ALPN list (h2, http/1.1). Owned by the
// server (TlsContext frees it); h2o's sockets take their own references per connection.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace dnsd::http::internal {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using TlsContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

// nullptr with `error` naming the key and the file ("http.tls.cert: /etc/x.pem: ...") when
// either file cannot be read or parsed, or the key does not belong to the certificate.
TlsContext LoadTlsContext(const std::string& cert_file, const std::string& key_file,
                          std::string& error);

// Empty when `file` holds PEM CA certificates OpenSSL loads (a client's trust store, as
// agent.ca_file); else why not, named by `key` and the file.
std::string CheckCaFile(const std::string& key, const std::string& file);

}  // namespace dnsd::http::internal
