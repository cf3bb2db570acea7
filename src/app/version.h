// The version of this build, from the project() line of the top CMakeLists.txt.
#pragma once

#include <string_view>

namespace courier::app {

inline constexpr std::string_view kVersion = COURIER_VERSION;

}  // namespace courier::app
