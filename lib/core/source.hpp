// Where messages come from: files, folders, Maildirs and mboxes named on
// the command line, or stdin as a raw message or a stream. Each message
// becomes one stream record whose id is the path it came from.
#pragma once

#include "core/byte_reader.hpp"
#include "core/limits.hpp"
#include "core/stream.hpp"

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace portcullis::source {

/// How `>From ` quoting in an mbox is undone.
enum class MboxVariant {
    mboxrd, ///< any run of '>' before "From " loses one '>'
    mboxo,  ///< only ">From " loses its '>'
};

/// Returns true when line (without its line end) is an mbox separator:
/// "From ", an address, then a date with a time and a year.
bool is_mbox_separator(std::string_view line);

/// Whether line is an mbox From_ line as asctime() dates it ("From a@b
/// Thu Jan  2 00:00:00 2020"): one that starts a message even with no
/// blank line before it.
bool is_ctime_mbox_separator(std::string_view line);

/// The compression a file's first bytes show ("gzip", "bzip2", "xz",
/// "zstd"), or empty.
std::string_view compression_of(std::string_view start);

/// The command that writes out what a compression_of kind holds.
std::string_view decompressor_for(std::string_view kind);

/// Undoes `>From ` quoting on one line as the variant says.
void unquote_from(std::string& line, MboxVariant variant);

/// Walks the inputs named on the command line, one record at a time.
class Inputs {
public:
    Inputs(std::vector<std::string> paths, const Limits& limits,
           MboxVariant variant = MboxVariant::mboxrd);
    ~Inputs();

    /// Returns the next record, nullopt when all inputs are done, or an
    /// error about one input; the walk goes on after an error unless
    /// fatal() says the input can no longer be trusted.
    Result<std::optional<stream::Record>> next();

    /// Passes the unread bytes of the last record (one over the size
    /// limit, see stream::Record::unread) to sink.
    Status copy_unread(const std::function<void(std::string_view)>& sink);

    /// Makes a raw message on stdin over the size limit a record passed
    /// on unread, as a stream record over it is, instead of an error. Its
    /// first bytes are in the record's message; copy_unread passes the
    /// rest.
    void pass_oversized_stdin() { pass_oversized_stdin_ = true; }

    /// Reads stdin and every file as messages, never as a stream, even
    /// when the first byte is "{": for input taken straight from senders,
    /// whose first line would otherwise be theirs to write as an envelope.
    void read_only_messages() { only_messages_ = true; }

    /// Follows symbolic links found while walking a folder, as a path
    /// named on the command line always is. Without it such a link is an
    /// input error: one planted in a user's Maildir would have a batch
    /// run as root read a file that the user may not.
    void follow_links() { follow_links_ = true; }

    /// True when the unread bytes of the last stream record are known to
    /// be in its input (a regular file), so copy_unread cannot stop
    /// short; false for a pipe, whose bytes may end first.
    bool unread_present() const { return stream_ && stream_->unread_present(); }

    /// False while the last record is a raw message on stdin over the
    /// size limit whose rest copy_unread has not passed yet: its
    /// Record::unread is then only a lower bound.
    bool unread_size_known() const { return !stdin_unread_; }

    /// True after a garbled stream on stdin: nothing after it can be read
    /// safely. A garbled stream file ends that file alone.
    bool fatal() const { return fatal_; }

    /// Ends the inputs: next() returns no more records. For a record
    /// written in part, after which nothing may follow.
    void stop() { fatal_ = true; }

private:
    class Mbox;
    // A folder being walked, held open: its entries are opened from it,
    // so a folder above them renamed or swapped for a link during the
    // walk cannot send the walk elsewhere.
    struct Directory {
        /// A Maildir's new/ and cur/ are told apart: a mail program that
        /// reads the mail moves it from new/ to cur/ during a walk.
        enum class Part { other, maildir, maildir_new, maildir_cur };

        std::string path; ///< as named, the start of its entries' ids
        int fd = -1;
        std::vector<std::string> names;
        size_t next = 0;
        Part part = Part::other;
        /// In a Maildir: the unique names (before ':') read from new/.
        std::unordered_set<std::string> read_from_new;

        Directory(std::string folder_path, int folder_fd)
            : path(std::move(folder_path)), fd(folder_fd) {}
        Directory(Directory&& other) noexcept
            : path(std::move(other.path)), fd(std::exchange(other.fd, -1)),
              names(std::move(other.names)), next(other.next), part(other.part),
              read_from_new(std::move(other.read_from_new)) {}
        Directory& operator=(Directory&&) = delete;
        ~Directory();
    };

    Result<std::optional<stream::Record>> open_stdin();
    Result<std::optional<stream::Record>> open_path(const std::string& path);
    Result<std::optional<stream::Record>>
    open_entry(int folder_fd, const std::string& name, const std::string& path);
    Result<std::optional<stream::Record>> open_folder(int fd,
                                                      const std::string& path);
    /// named: given on the command line, where a saved stream is read as
    /// one; a file found in a folder is always a message.
    Result<std::optional<stream::Record>>
    read_file(int fd, const std::string& path, bool named);
    Status list_folder(Directory& dir);
    static void warn_if_mbox(std::string_view message);
    static void warn_if_holds_mbox(std::string_view name,
                                   std::string_view message);

    std::vector<std::string> paths_;
    size_t next_path_ = 0;
    Limits limits_;
    MboxVariant variant_;
    std::vector<Directory> directories_;
    std::set<std::pair<dev_t, ino_t>> visited_;
    std::unique_ptr<ByteReader> stdin_reader_;
    std::unique_ptr<Mbox> stream_file_; ///< owns a stream file's reader
    std::unique_ptr<stream::Reader> stream_;
    std::unique_ptr<Mbox> mbox_;
    bool fatal_ = false;
    bool pass_oversized_stdin_ = false;
    bool only_messages_ = false;
    bool follow_links_ = false;
    bool stdin_unread_ = false; ///< the rest of stdin waits for copy_unread
};

} // namespace portcullis::source
