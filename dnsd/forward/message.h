// The few wire-format edits a forwarder makes to DNS messages: a SERVFAIL built from a
// client's query, and an upstream answer given back the client's view (ID, question-name
// case, RA). Messages are read with dnsd/wire (whose constants callers use too); every
// length is checked before it is read; no allocation besides `out`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dnsd/wire/wire.h"

namespace dnsd::forward {

// A SERVFAIL for query: its ID, opcode and RD, RA set, the question echoed, and an OPT
// record when the query carried one. Returns false when the query's header or question
// cannot be read (then out is untouched).
bool BuildServfail(std::span<const uint8_t> query, std::vector<uint8_t>& out);

// Rewrites an upstream answer in place: the client's ID, the client's spelling of the
// question name (when the answer's question is the same name), and RA set.
void RestoreClientView(std::span<const uint8_t> query, std::span<uint8_t> answer);

}  // namespace dnsd::forward
