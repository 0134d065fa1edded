#include "zones/ldns_util.h"

#include "zones/names.h"

namespace zones {

bool IsMetaType(uint16_t type) { return type == 0 || type == 41 || (type >= 249 && type <= 255); }

std::string LowerName(const ldns_rdf& name) {
  CharPtr text(ldns_rdf2str(&name));
  return text ? LowerAscii(text.get()) : std::string();
}

RdfPtr NameFromString(const std::string& text) {
  return RdfPtr(ldns_dname_new_frm_str(text.c_str()));
}

std::string TypeName(uint16_t type) {
  CharPtr text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
  return text ? std::string(text.get()) : "TYPE" + std::to_string(type);
}

std::variant<RecordData, std::string> ConvertRr(const ldns_rr& rr) {
  if (ldns_rr_get_class(&rr) != LDNS_RR_CLASS_IN) {
    return std::string("only class IN is supported");
  }
  RecordData out;
  out.type = static_cast<uint16_t>(ldns_rr_get_type(&rr));
  if (IsMetaType(out.type)) {
    return "type " + TypeName(out.type) + " cannot be stored in a zone";
  }
  out.owner = LowerName(*ldns_rr_owner(&rr));
  if (IsWildcard(out.owner)) {
    return "wildcard names are not supported (" + out.owner + ")";
  }
  out.ttl = ldns_rr_ttl(&rr);
  BufferPtr buffer(ldns_buffer_new(256));
  if (!buffer || ldns_rr_rdata2buffer_wire(buffer.get(), &rr) != LDNS_STATUS_OK) {
    return std::string("cannot convert the record data to wire form");
  }
  size_t size = ldns_buffer_position(buffer.get());
  if (size > 65535) return std::string("record data is longer than 65535 bytes");
  const uint8_t* begin = ldns_buffer_begin(buffer.get());
  out.rdata.assign(begin, begin + size);
  return out;
}

}  // namespace zones
