// Atomic delivery into a Maildir: the message is written under tmp/,
// synced, linked into new/ under a name no other delivery can take, and
// the folder is synced, so a crash leaves either the whole message or
// nothing. Maildir++ quotas (a maildirsize file) are honoured.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace portcullis::maildir {

/// Creates a Maildir's tmp, new and cur folders when they are missing.
Status create(const std::string& path);

/// Checks that a Maildir's tmp, new and cur are folders this process
/// may write in, so that a set-up can be checked before any delivery.
Status check_writable(const std::string& path);

/// Delivers message into the Maildir at path and returns the new file's
/// path. A missing Maildir, a full disk or an exceeded quota is an Error
/// whose exit code is temp_fail: the copy can be tried again later.
Result<std::string> deliver(const std::string& path, std::string_view message);

/// Returns a file name unique to this host, process and call.
std::string unique_name();

} // namespace portcullis::maildir
