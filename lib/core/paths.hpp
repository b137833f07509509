// Where installed data lives. The share folder is compiled in, but a tool
// run from its build tree (tests, `make demo`) finds the source tree's
// share/ beside it, and PORTCULLIS_SHARE overrides both.
#pragma once

#include <string>

namespace portcullis::paths {

/// Returns the share folder: $PORTCULLIS_SHARE, else the compiled-in
/// folder when it exists, else ../share beside the running program.
std::string share_dir();

/// Returns the state folder --state-dir defaults to: $PORTCULLIS_STATE_DIR,
/// else /var/lib/portcullis. The tests set it, so that no test run
/// writes into a machine's own state.
std::string state_dir();

} // namespace portcullis::paths
