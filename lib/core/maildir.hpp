// Atomic delivery into a Maildir: the message is written under tmp/,
// synced, linked into new/ under a name no other delivery can take, and
// the folder is synced, so a crash leaves either the whole message or
// nothing. The two halves can be run apart, so that a caller can record
// the delivery before it is seen, and several messages can be published
// all or none. Maildir++ quotas are honoured.
#pragma once

#include "core/result.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::maildir {

/// Creates a Maildir's tmp, new and cur folders when they are missing.
Status create(const std::string& path);

/// Checks that a Maildir's tmp, new and cur are folders this process
/// may write in, so that a set-up can be checked before any delivery.
Status check_writable(const std::string& path);

/// Checks that new/ will take a link from tmp/: new/ is writable and on
/// the same mount as tmp/. Errors are temp_fail.
Status check_linkable(const std::string& path);

/// A message written and synced under a Maildir's tmp/, which no reader
/// of the Maildir sees until it is published.
struct Staged {
    std::string maildir;
    std::string name;
    size_t size_bytes = 0;

    /// Returns the path of the file under tmp/.
    std::string tmp_path() const { return maildir + "/tmp/" + name; }
    /// Returns the path the message will have under new/.
    std::string new_path() const { return maildir + "/new/" + name; }
};

/// Checks that message_bytes more, and one message more, fit in the
/// Maildir's Maildir++ quota; no maildirsize is no quota. A maildirsize
/// that does not add up counts as over quota. Errors are temp_fail.
Status check_quota(const std::string& path, size_t message_bytes);

/// Checks the Maildir, that new/ will take a link from tmp/ (writable,
/// on the same mount) and its quota, and writes message under its tmp/.
/// A missing Maildir, a new/ that would refuse the link, a full disk, an
/// exceeded quota or a maildirsize that does not add up is an Error
/// whose exit code is temp_fail: the message can be tried again later.
Result<Staged> stage(const std::string& path, std::string_view message);

/// Links a staged message into new/, syncs new/, counts the message in
/// maildirsize and returns its path. On failure the file under tmp/ is
/// removed and nothing is in new/.
Result<std::string> publish(const Staged& staged);

/// What publishing several staged messages together came to.
struct Publication {
    Status status; ///< the first failure, when one message was refused
    /// On failure, the messages (by index) that were linked but could
    /// not be taken out of new/ again; empty unless the disk failed.
    std::vector<size_t> left_in_new = {};
};

/// Publishes every staged message or none: each is linked into new/
/// (moved there, never over another file, on a file system that has no
/// hard links),
/// each new/ is synced, and only then are the files under tmp/ removed
/// and the messages counted in maildirsize. When one cannot be linked
/// or synced, those already linked are removed from new/ by the names
/// they were given, and every file under tmp/ is removed.
Publication publish_all(std::span<const Staged> staged);

/// Removes a staged message that is not to be delivered.
void discard(const Staged& staged);

/// Stages and publishes message at once; returns the new file's path.
Result<std::string> deliver(const std::string& path, std::string_view message);

/// Returns a file name unique to this host, process and call.
std::string unique_name();

} // namespace portcullis::maildir
