// Reads the sections of courier.yaml into a CourierConfig. Internal to the config module.
//
// A new section is a struct in config/courier_config.h, one read function here taking a
// MappingReader, and one line in read_courier_config:
//   if (auto section = root->mapping("streams")) read_streams(*section, config.streams);
//
// Thread-safety: as config/reader.h: one thread per document.
#pragma once

#include <string>

#include "config/courier_config.h"
#include "config/reader.h"

namespace courier::config {

// Fills `config` from the document's root; an empty document leaves every default.
void read_courier_config(const ValueReader& document, const std::string& source_name,
                         CourierConfig& config);

}  // namespace courier::config
