// Where installed data lives. The share folder is compiled in, but a tool
// run from its build tree (tests, `make demo`) finds the source tree's
// share/ beside it, and PORTCULLIS_SHARE overrides both.
#pragma once

#include <string>

namespace portcullis::paths {

/// Returns the share folder: $PORTCULLIS_SHARE, else the compiled-in
/// folder when it exists, else ../share beside the running program.
std::string share_dir();

} // namespace portcullis::paths
